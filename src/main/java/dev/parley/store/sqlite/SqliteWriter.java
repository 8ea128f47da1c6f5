package dev.parley.store.sqlite;

import java.sql.Connection;
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
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import dev.parley.store.StoreOverloadedException;
import io.agroal.api.AgroalDataSource;
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
 * fsync and nobody ever sees {@code SQLITE_BUSY} from a sibling writer. Each operation runs inside its own savepoint:
 * a failing operation is rolled back alone and fails alone. Results are delivered only after the commit.
 */
@ApplicationScoped
public class SqliteWriter {

    private static final Logger LOG = Logger.getLogger(SqliteWriter.class);

    @Inject
    @DataSource("sqlitewriter")
    InjectableInstance<AgroalDataSource> dataSource;

    @Inject
    MeterRegistry registry;

    @ConfigProperty(name = "parley.sqlite.writer.queue-capacity", defaultValue = "10000")
    int queueCapacity;

    @ConfigProperty(name = "parley.sqlite.writer.max-batch", defaultValue = "512")
    int maxBatch;

    private BlockingQueue<Job<?>> queue;
    private Thread thread;
    private volatile boolean running;
    private final AtomicLong lastCommitNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong commits = new AtomicLong();
    private volatile Throwable lastFailure;
    private DistributionSummary batchSizes;
    private Timer commitTimer;
    private Timer lockWaitTimer;

    private record Job<T>(String label, SqlWork<T> work, UniEmitter<? super T> emitter, CallerContext caller) {
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
        Gauge.builder("parley.sqlite.writer.queue.depth", () -> queue.size())
                .description("Write operations waiting for the SQLite writer").register(registry);
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
                emitter.fail(new IllegalStateException("SQLite writer is not running"));
                return;
            }
            if (!queue.offer(new Job<>(label, work, emitter, CallerContext.capture()))) {
                emitter.fail(new StoreOverloadedException("SQLite write queue is full (" + queueCapacity + ")", 1));
            }
        });
    }

    public int queueDepth() {
        return queue == null ? 0 : queue.size();
    }

    public long commits() {
        return commits.get();
    }

    public boolean isRunning() {
        return running;
    }

    /** Time since the last successful commit (or since start when none happened yet). */
    public Duration sinceLastCommit() {
        return Duration.ofNanos(System.nanoTime() - lastCommitNanos.get());
    }

    public Throwable lastFailure() {
        return lastFailure;
    }

    private void loop() {
        List<Job<?>> batch = new ArrayList<>(maxBatch);
        Connection connection = null;
        while (running || !queue.isEmpty()) {
            try {
                Job<?> first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                if (connection == null) {
                    connection = open();
                }
                if (!runBatch(connection, batch)) {
                    closeQuietly(connection);
                    connection = null;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Throwable e) {
                // Could not even open a connection: fail this batch, keep serving.
                lastFailure = e;
                LOG.errorf("SQLite writer cannot open its connection: %s", e.getMessage());
                for (Job<?> job : batch) {
                    job.caller().fail(job.emitter(), e);
                }
                closeQuietly(connection);
                connection = null;
            } finally {
                batch.clear();
            }
        }
        closeQuietly(connection);
    }

    private Connection open() throws SQLException {
        Connection c = dataSource.get().getConnection();
        c.setAutoCommit(true); // transactions are explicit: BEGIN IMMEDIATE ... COMMIT
        return c;
    }

    /** @return false when the connection should be discarded */
    private boolean runBatch(Connection connection, List<Job<?>> batch) {
        long start = System.nanoTime();
        Object[] results = new Object[batch.size()];
        Throwable[] failures = new Throwable[batch.size()];
        try (Statement st = connection.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            lockWaitTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
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
            for (Job<?> job : batch) {
                job.caller().fail(job.emitter(), e);
            }
            return !isConnectionBroken(connection);
        }
        long now = System.nanoTime();
        lastCommitNanos.set(now);
        commits.incrementAndGet();
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
            job.caller().fail(job.emitter(), failure);
        } else {
            job.caller().complete(job.emitter(), (T) result);
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

    /** Stops taking work, commits what is queued, and closes the connection. */
    public void stop(Duration timeout) {
        Thread t;
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
            t = thread;
        }
        try {
            t.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("SQLite writer stopped");
    }
}
