package dev.parley.store.sqlite;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The prepared statements of one SQLite connection, kept so that a statement run again is not compiled again.
 * SQLite compiles every statement into a program, with the triggers it fires: preparing an insert into
 * {@code messages} compiles the FTS5 triggers too. At 500 streams the writer spent a third of its time in
 * {@code prepare} (bench/README.md, "Prepared statements kept per SQLite connection"); sqlite-jdbc and Agroal keep
 * none.
 *
 * <p>A connection is {@linkplain #lend lent} through a view whose {@code prepareStatement(String)} hands out the
 * cached statement of that SQL (preparing it on the first call, on the physical connection, outside Agroal's
 * statement tracking, which would close it when the pooled connection goes back). Closing the handed-out statement
 * resets it (its result set closed, which resets SQLite's program and ends its read; parameters and batch cleared)
 * and returns it to the cache; a statement whose use threw is closed instead, never reused. A second
 * {@code prepareStatement} of the same SQL while the first is still open gets a statement of its own, closed as
 * usual. The least recently used statements are closed beyond {@code capacity}. Everything else goes to the pooled
 * connection as before. Used by one thread at a time, like the connection itself.
 */
final class StatementCache {

    /** Statements kept per connection: every statement of the write path, and a search's few per query shape. */
    static final int CAPACITY = 128;

    private final Connection physical;
    private final int capacity;
    private final Map<String, Entry> entries;

    private static final class Entry {
        final String sql;
        final PreparedStatement statement;
        boolean inUse;

        Entry(String sql, PreparedStatement statement) {
            this.sql = sql;
            this.statement = statement;
        }
    }

    StatementCache(Connection physical, int capacity) {
        this.physical = physical;
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(32, 0.75f, true);
    }

    boolean isFor(Connection connection) {
        return physical == connection;
    }

    /** Whether the physical connection was closed (by its pool, or because it broke): the cache is then useless. */
    boolean isClosed() {
        try {
            return physical.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    /** Statements kept now (for tests). */
    int size() {
        return entries.size();
    }

    /**
     * A view of {@code pooled} (a connection to the same physical one) that prepares through this cache. Closing the
     * view returns the statements still open through it and closes {@code pooled}.
     */
    Connection lend(Connection pooled) {
        Lending lending = new Lending(pooled);
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] { Connection.class }, lending);
    }

    /** Closes every kept statement. */
    void close() {
        for (Entry e : entries.values()) {
            closeQuietly(e.statement);
        }
        entries.clear();
    }

    private final class Lending implements InvocationHandler {
        private final Connection pooled;
        private final List<Handle> open = new ArrayList<>();

        Lending(Connection pooled) {
            this.pooled = pooled;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            if (name.equals("prepareStatement") && args.length == 1) {
                return prepare((String) args[0]);
            }
            if (name.equals("close") && method.getParameterCount() == 0) {
                for (Handle h : List.copyOf(open)) {
                    h.release();
                }
                pooled.close();
                return null;
            }
            return call(pooled, method, args);
        }

        private PreparedStatement prepare(String sql) throws SQLException {
            Entry entry = entries.get(sql);
            if (entry != null && entry.inUse) {
                return physical.prepareStatement(sql); // the same SQL twice at once: the second is not kept
            }
            if (entry == null) {
                entry = new Entry(sql, physical.prepareStatement(sql));
                entries.put(sql, entry);
                evict();
            }
            entry.inUse = true;
            Handle handle = new Handle(this, entry);
            open.add(handle);
            return (PreparedStatement) Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(),
                    new Class<?>[] { PreparedStatement.class }, handle);
        }
    }

    private void evict() {
        Iterator<Entry> it = entries.values().iterator();
        while (entries.size() > capacity && it.hasNext()) {
            Entry eldest = it.next();
            if (!eldest.inUse) {
                it.remove();
                closeQuietly(eldest.statement);
            }
        }
    }

    /** One use of a kept statement, from {@code prepareStatement} to {@code close}. */
    private final class Handle implements InvocationHandler {
        private final Lending lending;
        private final Entry entry;
        private ResultSet results;
        private boolean failed;
        private boolean released;

        Handle(Lending lending, Entry entry) {
            this.lending = lending;
            this.entry = entry;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            if (name.equals("close") && method.getParameterCount() == 0) {
                release();
                return null;
            }
            if (name.equals("isClosed") && method.getParameterCount() == 0) {
                return released;
            }
            if (released) {
                throw new SQLException("statement is closed");
            }
            try {
                Object result = method.invoke(entry.statement, args);
                if (result instanceof ResultSet rs && name.startsWith("execute")) {
                    results = rs;
                }
                return result;
            } catch (InvocationTargetException e) {
                failed = true;
                throw e.getCause();
            }
        }

        void release() {
            if (released) {
                return;
            }
            released = true;
            lending.open.remove(this);
            PreparedStatement s = entry.statement;
            try {
                if (results != null) {
                    results.close(); // resets the statement: SQLite's program stops and its read ends
                }
                if (!failed) {
                    s.clearParameters();
                    s.clearBatch();
                }
            } catch (SQLException e) {
                failed = true;
            }
            if (failed) {
                entries.remove(entry.sql, entry);
                closeQuietly(s);
            }
            entry.inUse = false;
            evict();
        }
    }

    private static Object call(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void closeQuietly(PreparedStatement s) {
        try {
            s.close();
        } catch (SQLException ignored) {
            // closing anyway
        }
    }
}
