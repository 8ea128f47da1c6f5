package dev.parley.store.sqlite;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link StatementCache}s of the physical connections a pool lends: one per physical connection, found by
 * identity ({@code pooled.unwrap(Connection.class)}). A cache whose connection the pool has closed since (idle, too
 * old, broken) is dropped when a connection not seen before first comes. Used by the writer (its one connection) and
 * by the readers (theirs, each used by one thread at a time).
 */
final class StatementCaches {

    /** Guarded by itself. */
    private final List<StatementCache> caches = new ArrayList<>();

    /** {@code pooled}, preparing through the statements kept for its physical connection. */
    Connection lend(Connection pooled) throws SQLException {
        Connection physical;
        try {
            physical = pooled.unwrap(Connection.class);
        } catch (SQLException | RuntimeException e) {
            pooled.close(); // never lent: back to the pool
            throw e;
        }
        StatementCache cache = null;
        synchronized (caches) {
            for (StatementCache c : caches) {
                if (c.isFor(physical)) {
                    cache = c;
                }
            }
            if (cache == null) {
                caches.removeIf(c -> {
                    if (c.isClosed()) {
                        c.close();
                        return true;
                    }
                    return false;
                });
                cache = new StatementCache(physical, StatementCache.CAPACITY);
                caches.add(cache);
            }
        }
        return cache.lend(pooled);
    }

    /** Closes every kept statement (the writer, before it closes its connection). */
    void close() {
        synchronized (caches) {
            caches.forEach(StatementCache::close);
            caches.clear();
        }
    }
}
