package dev.parley.ops.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Properties;
import java.util.UUID;

import org.flywaydb.core.Flyway;

import dev.parley.ops.DatabaseUrl;
import dev.parley.ops.SqliteFileLock;
import dev.parley.store.Timestamps;

/**
 * One plain JDBC connection to either backend, for the command-line operations (migrate, backup, copy-data,
 * create-api-key). It converts between the logical column types and each dialect's storage, so the code above it
 * is written once. On SQLite it can hold Parley's lock file, so no server starts on the file while an operation
 * runs.
 */
public final class OpsDatabase implements AutoCloseable {

    /** Thrown with a one-line reason fit for the command line. */
    public static final class Unavailable extends RuntimeException {
        public Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    private final DatabaseUrl url;
    private final Connection connection;
    private SqliteFileLock lock;

    private OpsDatabase(DatabaseUrl url, Connection connection) {
        this.url = url;
        this.connection = connection;
    }

    /**
     * Opens the database. With {@code exclusive}, a SQLite database also gets Parley's lock file, and the call fails
     * when a running Parley holds it. A SQLite file that does not exist is created only when {@code create} is set.
     */
    public static OpsDatabase open(DatabaseUrl url, boolean exclusive, boolean create) {
        SqliteFileLock lock = null;
        try {
            if (url.isSqlite()) {
                Path file = url.sqlitePath();
                if (!create && !Files.exists(file)) {
                    throw new Unavailable("SQLite database " + file + " does not exist");
                }
                Files.createDirectories(file.getParent());
                if (exclusive) {
                    lock = SqliteFileLock.acquire(file);
                }
            }
            Connection c = DriverManager.getConnection(jdbcUrl(url), properties(url));
            OpsDatabase db = new OpsDatabase(url, c);
            db.lock = lock;
            return db;
        } catch (IllegalStateException e) {
            throw new Unavailable(e.getMessage());
        } catch (SQLException | IOException e) {
            closeQuietly(lock);
            throw new Unavailable("Cannot open " + url.describe() + ": " + oneLine(e));
        }
    }

    static String jdbcUrl(DatabaseUrl url) {
        return url.isSqlite()
                ? "jdbc:sqlite:" + url.sqlitePath() + "?journal_mode=WAL&busy_timeout=30000&foreign_keys=true"
                : url.jdbcPostgresUrl();
    }

    private static Properties properties(DatabaseUrl url) {
        Properties p = new Properties();
        if (url.username() != null) {
            p.setProperty("user", url.username());
        }
        if (url.password() != null) {
            p.setProperty("password", url.password());
        }
        return p;
    }

    public DatabaseUrl url() {
        return url;
    }

    public boolean isSqlite() {
        return url.isSqlite();
    }

    public Connection connection() {
        return connection;
    }

    public String describe() {
        return url.describe();
    }

    /** A Flyway instance for this database and dialect (apply migrations with {@link Migrations#apply}). */
    public Flyway flyway() {
        return Flyway.configure(OpsDatabase.class.getClassLoader())
                .dataSource(jdbcUrl(url), url.username(), url.password())
                .locations(url.isSqlite() ? "classpath:db/migration/sqlite" : "classpath:db/migration/postgresql")
                .load();
    }

    /** The ORDER BY expression for a key: byte order on both sides, so both list rows in the same sequence. */
    public String ordered(Table table) {
        return !isSqlite() && table.keyType() == ColumnType.TEXT ? table.key() + " COLLATE \"C\"" : table.key();
    }

    /** Reads a column as its logical value: UUID, String, Instant, Boolean, Long or JSON text; null stays null. */
    public Object read(ResultSet rs, int index, ColumnType type) throws SQLException {
        if (isSqlite()) {
            return switch (type) {
                case ID -> {
                    String s = rs.getString(index);
                    yield s == null ? null : UUID.fromString(s);
                }
                case TEXT, JSON -> rs.getString(index);
                case INSTANT -> {
                    long v = rs.getLong(index);
                    yield rs.wasNull() ? null : Timestamps.fromMicros(v);
                }
                case BOOLEAN -> {
                    int v = rs.getInt(index);
                    yield rs.wasNull() ? null : v != 0;
                }
                case INTEGER -> {
                    long v = rs.getLong(index);
                    yield rs.wasNull() ? null : v;
                }
            };
        }
        return switch (type) {
            case ID -> rs.getObject(index, UUID.class);
            case TEXT, JSON -> rs.getString(index);
            case INSTANT -> {
                OffsetDateTime t = rs.getObject(index, OffsetDateTime.class);
                yield t == null ? null : t.toInstant();
            }
            case BOOLEAN -> {
                boolean v = rs.getBoolean(index);
                yield rs.wasNull() ? null : v;
            }
            case INTEGER -> {
                long v = rs.getLong(index);
                yield rs.wasNull() ? null : v;
            }
        };
    }

    /** Binds a logical value (as {@link #read} returns it) in this dialect's storage form. */
    public void bind(PreparedStatement ps, int index, ColumnType type, Object value) throws SQLException {
        if (value == null) {
            ps.setNull(index, isSqlite() ? Types.NULL : switch (type) {
                case ID -> Types.OTHER;
                case TEXT -> Types.VARCHAR;
                case JSON -> Types.OTHER;
                case INSTANT -> Types.TIMESTAMP_WITH_TIMEZONE;
                case BOOLEAN -> Types.BOOLEAN;
                case INTEGER -> Types.BIGINT;
            });
            return;
        }
        switch (type) {
            case ID -> {
                if (isSqlite()) {
                    ps.setString(index, value.toString());
                } else {
                    ps.setObject(index, value, Types.OTHER);
                }
            }
            case TEXT -> ps.setString(index, (String) value);
            case JSON -> {
                if (isSqlite()) {
                    ps.setString(index, (String) value);
                } else {
                    ps.setObject(index, value, Types.OTHER);
                }
            }
            case INSTANT -> {
                if (isSqlite()) {
                    ps.setLong(index, Timestamps.toMicros((Instant) value));
                } else {
                    ps.setObject(index, ((Instant) value).atOffset(ZoneOffset.UTC));
                }
            }
            case BOOLEAN -> {
                if (isSqlite()) {
                    ps.setInt(index, (Boolean) value ? 1 : 0);
                } else {
                    ps.setBoolean(index, (Boolean) value);
                }
            }
            case INTEGER -> ps.setLong(index, (Long) value);
        }
    }

    /** Inserts rows of logical values (as {@link #read} returns them) with one batched statement. */
    public void insert(Table table, java.util.List<Object[]> rows) throws SQLException {
        String marks = String.join(", ", java.util.Collections.nCopies(table.columns().size(), "?"));
        try (PreparedStatement ps = connection.prepareStatement(
                "INSERT INTO " + table.name() + " (" + table.columnList() + ") VALUES (" + marks + ")")) {
            for (Object[] row : rows) {
                for (int i = 0; i < row.length; i++) {
                    bind(ps, i + 1, table.columns().get(i).type(), row[i]);
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    public long count(Table table) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table.name())) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The largest key of the table, in the byte order {@link #ordered} sorts by; null when it is empty. */
    public Object maxKey(Table table) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT " + table.key() + " FROM " + table.name() + " ORDER BY "
                        + ordered(table) + " DESC LIMIT 1")) {
            return rs.next() ? read(rs, 1, table.keyType()) : null;
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing anyway
        }
        closeQuietly(lock);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // nothing left to do
            }
        }
    }

    public static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return m.replaceAll("\\s+", " ").trim();
    }
}
