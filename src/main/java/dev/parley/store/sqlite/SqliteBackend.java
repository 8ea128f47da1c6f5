package dev.parley.store.sqlite;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Typed;

import org.flywaydb.core.Flyway;
import org.jboss.logging.Logger;

import dev.parley.store.Backend;
import dev.parley.store.DatabaseUrl;
import dev.parley.store.Dialect;
import io.agroal.api.AgroalDataSource;
import io.agroal.api.AgroalDataSourceMetrics;
import io.quarkus.agroal.DataSource;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.flyway.FlywayDataSource;
import io.smallrye.mutiny.Uni;

/**
 * SQLite as the running server's backend: this process owns the file (lock file), one writer thread commits in
 * groups, a pool of query-only connections reads.
 */
@ApplicationScoped
@Typed(SqliteBackend.class)
public class SqliteBackend implements Backend {

    private static final Logger LOG = Logger.getLogger(SqliteBackend.class);

    private final SqliteDialect dialect;
    private final SqliteWriter writer;
    private final SqliteReaders readers;
    private final InjectableInstance<AgroalDataSource> readerPool;
    private final Instance<Flyway> flyways;
    private final SqliteSearchBackfill searchBackfill;
    private final SqliteSearchMerge searchMerge;
    private SqliteFileLock lock;

    SqliteBackend(DatabaseUrl url, SqliteSettings settings, SqliteWriter writer, SqliteReaders readers,
            @DataSource("sqlite") InjectableInstance<AgroalDataSource> readerPool, @Any Instance<Flyway> flyways,
            SqliteSearchBackfill searchBackfill, SqliteSearchMerge searchMerge) {
        this.dialect = new SqliteDialect(url, settings);
        this.writer = writer;
        this.readers = readers;
        this.readerPool = readerPool;
        this.flyways = flyways;
        this.searchBackfill = searchBackfill;
        this.searchMerge = searchMerge;
    }

    @Override
    public Dialect dialect() {
        return dialect;
    }

    @Override
    public void prepare() {
        lock = SqliteDialect.lock(dialect.path());
        SqliteDialect.createFiles(dialect.path());
    }

    @Override
    public Flyway flyway() {
        return flyways.select(FlywayDataSource.FlywayDataSourceLiteral.of("sqlitewriter")).get();
    }

    @Override
    public void start() {
        writer.start();
        // messages stored before the search index existed are indexed in the background, through the writer
        readers.read(c -> {
            searchBackfill.start(c);
            return null;
        }).await().indefinitely();
        searchMerge.start();
    }

    @Override
    public Uni<Void> ping() {
        return readers.read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT 1")) {
                rs.next();
                return null;
            }
        });
    }

    @Override
    public Optional<String> writeStallCause() {
        Duration lockWait = writer.lockWaiting();
        if (!lockWait.isZero()) {
            return Optional.of("the SQLite writer has waited " + lockWait.toSeconds()
                    + " s for the write lock, held by another process or connection");
        }
        int queued = writer.queueDepth();
        return queued == 0 ? Optional.empty() : Optional.of(queued + " writes queued for the SQLite writer");
    }

    @Override
    public Map<String, Object> diagnostics() {
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("running", writer.isRunning());
        w.put("queueDepth", writer.queueDepth());
        w.put("commits", writer.commits());
        w.put("operations", writer.operations());
        w.put("operationsPerCommit", writer.commits() == 0 ? 0 : (double) writer.operations() / writer.commits());
        w.put("msSinceLastCommit", writer.sinceLastCommit().toMillis());
        w.put("msWaitingForWriteLockNow", writer.lockWaiting().toMillis());
        w.put("lastFailure", writer.lastFailure() == null ? null : writer.lastFailure().getMessage());
        Map<String, Object> r = new LinkedHashMap<>();
        AgroalDataSourceMetrics m = readerPool.get().getMetrics();
        r.put("maxSize", readerPool.get().getConfiguration().connectionPoolConfiguration().maxSize());
        r.put("active", m.activeCount());
        r.put("available", m.availableCount());
        r.put("awaiting", m.awaitingCount());
        r.put("maxUsed", m.maxUsedCount());
        r.put("msBlockingAverage", m.blockingTimeAverage().toMillis());
        Map<String, Object> wal = new LinkedHashMap<>();
        wal.put("sizeBytes", writer.walSizeBytes());
        wal.put("checkpoints", writer.checkpoints());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("writer", w);
        s.put("readers", r);
        s.put("wal", wal);
        return s;
    }

    @Override
    public boolean takesScheduledBackups() {
        return true;
    }

    /** The writer commits what is queued and checkpoints; then the file is free for the next process. */
    @Override
    public void shutdown() {
        writer.stop();
        if (lock != null) {
            try {
                lock.close();
            } catch (IOException e) {
                LOG.warnf("Could not release SQLite lock file: %s", e.getMessage());
            }
        }
    }
}
