package dev.parley.store.sqlite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import dev.parley.store.DatabaseUrl;
import dev.parley.store.StoreOverloadedException;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.agroal.DataSource;
import io.quarkus.arc.InjectableInstance;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;

/**
 * The only writer of the SQLite database: one thread, one connection. Callers queue operations; the thread drains
 * the queue in batches and runs each batch in one {@code BEGIN IMMEDIATE ... COMMIT}, so N concurrent writes cost one
 * commit and nobody ever sees {@code SQLITE_BUSY} from a sibling writer. Each operation runs inside its own savepoint:
 * a failing operation is rolled back alone and fails alone. Results are delivered only after the commit.
 *
 * <p>
 * Between batches the same thread keeps the WAL in check: a passive checkpoint every
 * {@code parley.sqlite.checkpoint-interval}, and a truncating one every {@code parley.sqlite.truncate-interval} at a
 * moment when no write waits.
 */
@ApplicationScoped
class SqliteWriter {

    private static final Logger LOG = Logger.getLogger(SqliteWriter.class);
    private static final int SQLITE_BUSY = 5;

    private final InjectableInstance<AgroalDataSource> dataSource;
    private final MeterRegistry registry;
    private final Path databasePath;
    private final int queueCapacity;
    private final int maxBatch;
    private final Duration lockTimeout;
    private final Duration checkpointInterval;
    private final Duration truncateInterval;
    private final long busyTimeoutMs;
    private final long walSizeLimit;

    SqliteWriter(@DataSource("sqlitewriter") InjectableInstance<AgroalDataSource> dataSource, MeterRegistry registry,
            DatabaseUrl url, SqliteSettings settings) {
        this.dataSource = dataSource;
        this.registry = registry;
        this.databasePath = url.sqlitePath();
        this.queueCapacity = settings.writer().queueCapacity();
        this.maxBatch = settings.writer().maxBatch();
        this.lockTimeout = settings.writer().lockTimeout();
        this.checkpointInterval = settings.checkpointInterval();
        this.truncateInterval = settings.truncateInterval();
        this.busyTimeoutMs = settings.busyTimeoutMs();
        this.walSizeLimit = settings.walSizeLimitBytes();
    }

    private BlockingQueue<Job<?>> queue;
    private Thread thread;
    private volatile boolean running;
    /** Set once the writer thread has taken its last job; a job queued after that is failed, never left waiting. */
    private volatile boolean finished;
    private final AtomicLong lastCommitNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong operations = new AtomicLong();
    private volatile long lockWaitSinceNanos;
    private volatile Throwable lastFailure;
    private long lastCheckpointNanos = System.nanoTime();
    private long lastTruncateNanos = System.nanoTime();
    private boolean writtenSinceTruncate;
    private DistributionSummary batchSizes;
    private Timer commitTimer;
    private Timer lockWaitTimer;
    private Counter passiveCheckpoints;
    private Counter truncateCheckpoints;

    private record Job<T>(String label, SqlWork<T> work, UniEmitter<? super T> emitter, ReturnContext origin) {
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        queue = new ArrayBlockingQueue<>(queueCapacity);
        batchSizes = DistributionSummary.builder("parley.sqlite.writer.batch.size")
                .description("Operations committed together in one SQLite transaction").register(registry);
        commitTimer = Timer.builder("parley.sqlite.writer.commit").description("Time to run and commit one batch")
                .publishPercentiles(0.5, 0.99).register(registry);
        lockWaitTimer = Timer.builder("parley.sqlite.writer.lock.wait")
                .description("Time waiting for the SQLite write lock (BEGIN IMMEDIATE)").register(registry);
        passiveCheckpoints = Counter.builder("parley.sqlite.checkpoints").tag("mode", "passive")
                .description("WAL checkpoints run by the writer").register(registry);
        truncateCheckpoints = Counter.builder("parley.sqlite.checkpoints").tag("mode", "truncate")
                .description("WAL checkpoints run by the writer").register(registry);
        Gauge.builder("parley.sqlite.writer.queue.depth", this, SqliteWriter::queueDepth)
                .description("Write operations waiting for the SQLite writer").register(registry);
        Gauge.builder("parley.sqlite.wal.size", this, w -> w.walSizeBytes()).baseUnit("bytes")
                .description("Size of the SQLite write-ahead log file").register(registry);
        running = true;
        thread = new Thread(this::loop, "parley-sqlite-writer");
        thread.setDaemon(true);
        thread.start();
        LOG.info("SQLite writer started");
    }

    /** Queues a write; the returned Uni completes after the transaction that contains it committed. */
    public <T> Uni<T> submit(String label, SqlWork<T> work) {
        return Uni.createFrom().emitter(emitter -> {
            if (!running) {
                emitter.fail(new StoreOverloadedException("SQLite writer is not running", 5));
                return;
            }
            Job<T> job = new Job<>(label, work, emitter, ReturnContext.capture());
            if (!queue.offer(job)) {
                emitter.fail(new StoreOverloadedException("SQLite write queue is full (" + queueCapacity
                        + " operations waiting)", 1));
            } else if (finished && queue.remove(job)) {
                // lost the race with stop(): the writer thread has already left
                emitter.fail(new StoreOverloadedException("SQLite writer is not running", 5));
            }
        });
    }

    public int queueDepth() {
        return queue == null ? 0 : queue.size();
    }

    public long commits() {
        return commits.get();
    }

    public long operations() {
        return operations.get();
    }

    public boolean isRunning() {
        return running;
    }

    /** Time since the last successful commit (or since start when none happened yet). */
    public Duration sinceLastCommit() {
        return Duration.ofNanos(System.nanoTime() - lastCommitNanos.get());
    }

    /** How long the writer has been waiting for the write lock right now; zero when it is not waiting. */
    public Duration lockWaiting() {
        long since = lockWaitSinceNanos;
        return since == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - since);
    }

    public Throwable lastFailure() {
        return lastFailure;
    }

    public long walSizeBytes() {
        try {
            Path wal = Path.of(databasePath + "-wal");
            return Files.exists(wal) ? Files.size(wal) : 0;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    public long checkpoints() {
        return passiveCheckpoints == null ? 0
                : (long) (passiveCheckpoints.count() + truncateCheckpoints.count());
    }

    private void loop() {
        List<Job<?>> batch = new ArrayList<>(maxBatch);
        Connection connection = null;
        while (running || !queue.isEmpty()) {
            try {
                Job<?> first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first != null) {
                    if (connection == null) {
                        connection = open();
                    }
                    batch.add(first);
                    queue.drainTo(batch, maxBatch - 1);
                    if (!runBatch(connection, batch)) {
                        closeQuietly(connection);
                        connection = null;
                    }
                }
                if (connection != null) {
                    housekeeping(connection);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Throwable e) {
                // Could not even open a connection: fail this batch, keep serving.
                lastFailure = e;
                LOG.errorf("SQLite writer cannot open its connection: %s", e.getMessage());
                for (Job<?> job : batch) {
                    job.origin().fail(job.emitter(), e);
                }
                closeQuietly(connection);
                connection = null;
            } finally {
                batch.clear();
            }
        }
        finished = true;
        List<Job<?>> late = new ArrayList<>();
        queue.drainTo(late);
        for (Job<?> job : late) {
            job.origin().fail(job.emitter(), new StoreOverloadedException("SQLite writer is not running", 5));
        }
        if (connection != null && writtenSinceTruncate) {
            checkpoint(connection, "TRUNCATE"); // leave a compact database behind on shutdown
        }
        statements.close();
        closeQuietly(connection);
    }

    /**
     * Keeps the WAL small: a passive checkpoint (never waits, never blocks readers) every checkpoint interval, and,
     * at a moment when no write is waiting, a truncating one every truncate interval, which resets the WAL file to
     * zero bytes.
     */
    private void housekeeping(Connection connection) {
        long now = System.nanoTime();
        if (writtenSinceTruncate && queue.isEmpty() && now - lastTruncateNanos > truncateInterval.toNanos()) {
            checkpoint(connection, "TRUNCATE");
            lastTruncateNanos = System.nanoTime();
        } else if (now - lastCheckpointNanos > checkpointInterval.toNanos()) {
            checkpoint(connection, "PASSIVE");
        }
    }

    /** The prepared statements of the writer's connection (only its thread uses them), closed when it stops. */
    private final StatementCaches statements = new StatementCaches();

    private Connection open() throws SQLException {
        Connection c = dataSource.get().getConnection();
        c.setAutoCommit(true); // transactions are explicit: BEGIN IMMEDIATE ... COMMIT
        try (Statement st = c.createStatement()) {
            // after a checkpoint, shrink the WAL file back to this size instead of leaving it at its peak
            st.execute("PRAGMA journal_size_limit = " + walSizeLimit);
        }
        return statements.lend(c);
    }

    /**
     * A TRUNCATE checkpoint waits for every reader to leave the WAL, calling the busy handler meanwhile: with the
     * connection's busy timeout that would hold the writer for up to 30 s behind a long reader (an online backup
     * reads one snapshot for as long as it takes). So it runs without a busy timeout and, when a reader is in the
     * way, reports busy at once and is retried at the next housekeeping round.
     */
    private void checkpoint(Connection connection, String mode) {
        boolean truncate = "TRUNCATE".equals(mode);
        try (Statement st = connection.createStatement()) {
            if (truncate) {
                st.execute("PRAGMA busy_timeout = 0");
            }
            try (ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
                recordCheckpoint(mode, rs.next() && rs.getInt(1) != 0);
            } finally {
                if (truncate) {
                    st.execute("PRAGMA busy_timeout = " + busyTimeoutMs);
                }
            }
        } catch (SQLException e) {
            LOG.debugf("WAL checkpoint (%s) did not run: %s", mode, e.getMessage());
            if (truncate) {
                writtenSinceTruncate = true;
            }
        }
        lastCheckpointNanos = System.nanoTime();
    }

    private void recordCheckpoint(String mode, boolean blocked) {
        if ("TRUNCATE".equals(mode)) {
            truncateCheckpoints.increment();
            writtenSinceTruncate = blocked; // try again later if a reader kept it from finishing
        } else {
            passiveCheckpoints.increment();
        }
    }

    /**
     * Starts the write transaction, waiting for the lock while another connection (another process, or an operator
     * with the sqlite3 shell) holds it, up to {@code parley.sqlite.writer.lock-timeout}.
     */
    private void begin(Statement st) throws SQLException {
        long start = System.nanoTime();
        lockWaitSinceNanos = start;
        try {
            while (true) {
                try {
                    st.execute("BEGIN IMMEDIATE");
                    return;
                } catch (SQLException e) {
                    if (!isBusy(e) || System.nanoTime() - start > lockTimeout.toNanos() || !running) {
                        throw e;
                    }
                    LOG.warnf("SQLite write lock still held by another connection after %d s; waiting",
                            Duration.ofNanos(System.nanoTime() - start).toSeconds());
                }
            }
        } finally {
            lockWaitSinceNanos = 0;
            lockWaitTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    private static boolean isBusy(SQLException e) {
        return (e.getErrorCode() & 0xff) == SQLITE_BUSY || String.valueOf(e.getMessage()).contains("SQLITE_BUSY");
    }

    /** @return false when the connection should be discarded */
    private boolean runBatch(Connection connection, List<Job<?>> batch) {
        long start = System.nanoTime();
        Object[] results = new Object[batch.size()];
        Throwable[] failures = new Throwable[batch.size()];
        try (Statement st = connection.createStatement()) {
            begin(st);
            try {
                for (int i = 0; i < batch.size(); i++) {
                    st.execute("SAVEPOINT op");
                    try {
                        results[i] = batch.get(i).work().run(connection);
                        st.execute("RELEASE op");
                    } catch (Exception e) {
                        failures[i] = e;
                        st.execute("ROLLBACK TO op");
                        st.execute("RELEASE op");
                    }
                }
                st.execute("COMMIT");
            } catch (SQLException e) {
                rollbackQuietly(st);
                throw e;
            }
        } catch (SQLException e) {
            lastFailure = e;
            LOG.warnf("SQLite write batch of %d failed: %s", batch.size(), e.getMessage());
            Throwable failure = isBusy(e)
                    ? new StoreOverloadedException("the SQLite database is locked by another connection", 5)
                    : e;
            for (Job<?> job : batch) {
                job.origin().fail(job.emitter(), failure);
            }
            return !isConnectionBroken(connection);
        }
        long now = System.nanoTime();
        lastCommitNanos.set(now);
        commits.incrementAndGet();
        operations.addAndGet(batch.size());
        writtenSinceTruncate = true;
        lastFailure = null;
        commitTimer.record(now - start, TimeUnit.NANOSECONDS);
        batchSizes.record(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            deliver(batch.get(i), results[i], failures[i]);
        }
        return true;
    }

    @SuppressWarnings("unchecked")
    private static <T> void deliver(Job<T> job, Object result, Throwable failure) {
        if (failure != null) {
            job.origin().fail(job.emitter(), failure);
        } else {
            job.origin().complete(job.emitter(), (T) result);
        }
    }

    private static void rollbackQuietly(Statement st) {
        try {
            st.execute("ROLLBACK");
        } catch (SQLException ignored) {
            // not in a transaction any more
        }
    }

    private static boolean isConnectionBroken(Connection c) {
        try {
            return c.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }

    /**
     * Stops taking work, commits everything already queued, checkpoints (TRUNCATE) and closes the connection. Waits
     * as long as the writer makes progress, however long the queue; gives up only when no write has finished for
     * {@code parley.sqlite.writer.lock-timeout}, and then says how many writes are lost.
     */
    public void stop() {
        Thread t;
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
            t = thread;
        }
        long start = System.nanoTime();
        long committedBefore = operations.get();
        int queued = queueDepth();
        LOG.infof("SQLite writer stopping: committing %d queued writes", queued);
        long lastProgress = start;
        long lastSeen = committedBefore;
        int lastDepth = queued;
        try {
            while (t.isAlive()) {
                t.join(200);
                long now = System.nanoTime();
                if (operations.get() != lastSeen || queueDepth() != lastDepth) {
                    lastSeen = operations.get();
                    lastDepth = queueDepth();
                    lastProgress = now;
                } else if (now - lastProgress > lockTimeout.toNanos()) {
                    LOG.errorf("SQLite writer made no progress for %d s while stopping; giving up with %d writes "
                            + "still queued (not committed)", lockTimeout.toSeconds(), queueDepth());
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.errorf("Interrupted while the SQLite writer was stopping; %d writes still queued", queueDepth());
            return;
        }
        LOG.infof("SQLite writer stopped in %d ms: queue drained (%d writes committed while stopping), WAL "
                + "checkpointed, connection closed", Duration.ofNanos(System.nanoTime() - start).toMillis(),
                operations.get() - committedBefore);
    }
}
