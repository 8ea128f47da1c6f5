package dev.parley.store.sqlite;

import java.sql.Connection;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource;
import io.quarkus.arc.InjectableInstance;
import io.smallrye.mutiny.Uni;

/**
 * Runs read-only queries on a fixed pool of threads, one per pooled query-only connection, so a read never waits
 * for the writer (WAL) and never blocks the event loop.
 */
@ApplicationScoped
public class SqliteReaders {

    @Inject
    @DataSource("sqlite")
    InjectableInstance<AgroalDataSource> dataSource;

    @ConfigProperty(name = "parley.sqlite.readers", defaultValue = "4")
    int readers;

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

    public <T> Uni<T> read(SqlWork<T> work) {
        return Uni.createFrom().emitter(emitter -> {
            CallerContext caller = CallerContext.capture();
            pool().execute(() -> {
                T result;
                try (Connection c = dataSource.get().getConnection()) {
                    result = work.run(c);
                } catch (Throwable e) {
                    caller.fail(emitter, e);
                    return;
                }
                caller.complete(emitter, result);
            });
        });
    }

    @PreDestroy
    void stop() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
