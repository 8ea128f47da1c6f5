package dev.parley.ops.data;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import org.flywaydb.core.Flyway;

import dev.parley.store.ColumnType;
import dev.parley.store.Dialect;
import dev.parley.store.Table;

/**
 * One plain JDBC connection to a database of either backend, for the operations commands (migrate, backup, copy-data,
 * key management). Values go through the adapter's {@link Dialect}, so the code above it is written once. Opened
 * {@code exclusive}, it also keeps Parley servers away for as long as it is open (SQLite's lock file).
 */
public final class OpsDatabase implements AutoCloseable {

    private final Dialect dialect;
    private final Connection connection;
    private final AutoCloseable hold;

    private OpsDatabase(Dialect dialect, Connection connection, AutoCloseable hold) {
        this.dialect = dialect;
        this.connection = connection;
        this.hold = hold;
    }

    /**
     * Opens the database. With {@code exclusive}, a running Parley server on it makes this fail (SQLite). A SQLite
     * file that does not exist is created only when {@code create} is set.
     *
     * @throws dev.parley.store.BackendUnavailable with a one-line reason
     */
    public static OpsDatabase open(Dialect dialect, boolean exclusive, boolean create) {
        AutoCloseable hold = exclusive ? dialect.holdExclusively() : null;
        try {
            return new OpsDatabase(dialect, dialect.connect(create), hold);
        } catch (RuntimeException e) {
            closeQuietly(hold);
            throw e;
        }
    }

    public Dialect dialect() {
        return dialect;
    }

    public Connection connection() {
        return connection;
    }

    public String describe() {
        return dialect.describe();
    }

    /** A Flyway instance for this database and dialect (apply migrations with {@link Migrations#apply}). */
    public Flyway flyway() {
        return Migrations.settings(Flyway.configure(OpsDatabase.class.getClassLoader()))
                .dataSource(dialect.jdbcUrl(), dialect.url().username(), dialect.url().password())
                .locations(dialect.migrationLocation())
                .load();
    }

    public Object read(ResultSet rs, int index, ColumnType type) throws SQLException {
        return dialect.read(rs, index, type);
    }

    public void bind(PreparedStatement ps, int index, ColumnType type, Object value) throws SQLException {
        dialect.bind(ps, index, type, value);
    }

    /** Inserts rows of logical values (as {@link #read} returns them) in bulk. */
    public void insert(Table table, List<Object[]> rows) throws SQLException {
        dialect.insertRows(connection, table, rows);
    }

    public long count(Table table) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table.name())) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The largest key of the table, in the byte order both dialects sort by; null when it is empty. */
    public Object maxKey(Table table) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT " + table.key() + " FROM " + table.name() + " ORDER BY "
                        + dialect.orderByKey(table) + " DESC LIMIT 1")) {
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
        closeQuietly(hold);
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
}
