package dev.parley.store.sqlite;

import java.sql.Connection;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource;
import io.quarkus.arc.InjectableInstance;
import io.smallrye.mutiny.Uni;

/**
 * Runs read-only queries on a fixed pool of threads, one per pooled query-only connection, so a read never waits
 * for the writer (WAL) and never blocks the event loop.
 */
@ApplicationScoped
class SqliteReaders {

    private final InjectableInstance<AgroalDataSource> dataSource;
    private final int readers;

    SqliteReaders(@DataSource("sqlite") InjectableInstance<AgroalDataSource> dataSource, SqliteSettings settings) {
        this.dataSource = dataSource;
        this.readers = settings.readers();
    }

    private volatile ExecutorService pool;

    private ExecutorService pool() {
        ExecutorService p = pool;
        if (p == null) {
            synchronized (this) {
                if (pool == null) {
                    AtomicInteger n = new AtomicInteger();
                    ThreadFactory threads = r -> {
                        Thread t = new Thread(r, "parley-sqlite-reader-" + n.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    };
                    pool = Executors.newFixedThreadPool(readers, threads);
                }
                p = pool;
            }
        }
        return p;
    }

    <T> Uni<T> read(SqlWork<T> work) {
        return Uni.createFrom().emitter(emitter -> {
            ReturnContext origin = ReturnContext.capture();
            pool().execute(() -> {
                T result;
                try (Connection c = statements.lend(dataSource.get().getConnection())) {
                    result = work.run(c);
                } catch (Throwable e) {
                    origin.fail(emitter, e);
                    return;
                }
                origin.complete(emitter, result);
            });
        });
    }

    /** The prepared statements of each physical connection the pool lends. */
    private final StatementCaches statements = new StatementCaches();

    @PreDestroy
    void stop() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
