package dev.parley.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What an adapter knows about its database without a running server, for the operations tools (migrate, backup,
 * restore, copy-data, key management) and for the server's start-up: how to connect over plain JDBC with Parley's
 * settings, how logical values ({@link ColumnType}) are stored, how rows are written in bulk, where the migrations
 * are, and how the database is backed up and restored. One instance is bound to one {@link DatabaseUrl}; the
 * composition root ({@code ops.ActiveBackend}) hands it out.
 */
public interface Dialect {

    DatabaseUrl url();

    /** The database in words, without secrets. */
    default String describe() {
        return url().describe();
    }

    /** Flyway's location of this dialect's migration scripts. */
    String migrationLocation();

    /** The JDBC URL of the database with Parley's connection settings (no credentials: see {@link #url()}). */
    String jdbcUrl();

    /**
     * Whether the database is there: a SQLite file that was never created is not; a PostgreSQL database is taken to
     * exist (connecting says otherwise).
     */
    boolean exists();

    /**
     * A plain JDBC connection with Parley's settings. A SQLite file that does not exist is created only with
     * {@code create}.
     *
     * @throws BackendUnavailable when the database cannot be reached or does not exist
     */
    Connection connect(boolean create);

    /**
     * Keeps Parley servers away from the database for as long as the returned handle is open (SQLite: Parley's lock
     * file; PostgreSQL, shared by replicas by design: nothing).
     *
     * @throws BackendUnavailable when a running Parley holds the database
     */
    AutoCloseable holdExclusively();

    /** Reads a column as its logical value: UUID, String, Instant, Boolean, Long or JSON text; null stays null. */
    Object read(ResultSet rs, int index, ColumnType type) throws SQLException;

    /** Binds a logical value (as {@link #read} returns it) in this dialect's storage form. */
    void bind(PreparedStatement ps, int index, ColumnType type, Object value) throws SQLException;

    /** Makes the transaction just begun on {@code c} read one consistent snapshot, read-only. */
    void readSnapshot(Connection c) throws SQLException;

    /** The ORDER BY expression for a table's key, in the byte order both dialects agree on. */
    String orderByKey(Table table);

    /** Writes rows of logical values into {@code table} in bulk, inside the caller's transaction. */
    void insertRows(Connection c, Table table, List<Object[]> rows) throws SQLException;

    /** After a bulk copy into this database: whatever keeps it consistent (sequences); returns what it did. */
    List<String> afterCopy(Connection c, List<Table> tables) throws SQLException;

    /** Where timestamped backups go and how many are kept (0 keeps all). */
    record BackupPolicy(Path dir, int keep) {
    }

    /** A finished backup: where it is, its size, and which older backups were pruned. */
    record Backup(String location, long bytes, Duration took, String how, List<Path> pruned) {
    }

    record Restored(Path file, Path previous, String schemaVersion) {
    }

    /**
     * Backs the database up while Parley may keep serving: to {@code target}, or to a timestamped file under the
     * policy (pruning older ones).
     *
     * @throws NotSupported when this installation cannot do it (the message says what to run instead)
     */
    Backup backup(Optional<Path> target, BackupPolicy policy);

    /**
     * Puts a backup in place of the database; refuses while a Parley server holds it.
     *
     * @throws NotSupported when the backend has its own tool for this (the message names it)
     */
    Restored restore(Path backupFile);

    /** Before migrations change an existing database: a backup, on the backends where Parley takes one itself. */
    Optional<Backup> backupBeforeMigration(BackupPolicy policy);

    /** The database cannot do this through Parley; the message says what to do instead. */
    final class NotSupported extends RuntimeException {
        public NotSupported(String message) {
            super(message, null, false, false);
        }
    }

    /** A backup or restore failed; one line, nothing was changed. */
    final class BackupFailed extends RuntimeException {
        public BackupFailed(String message) {
            super(message, null, false, false);
        }
    }
}
