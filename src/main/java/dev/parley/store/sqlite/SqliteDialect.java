package dev.parley.store.sqlite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.parley.store.BackendUnavailable;
import dev.parley.store.ColumnType;
import dev.parley.store.DatabaseUrl;
import dev.parley.store.Dialect;
import dev.parley.store.RootCause;
import dev.parley.store.Table;

/**
 * SQLite outside the server's writer and readers: plain JDBC connections with the same pragmas as the server's,
 * Parley's lock file, {@code VACUUM INTO} backups and restore.
 */
public final class SqliteDialect implements Dialect {

    static {
        load("org.sqlite.JDBC"); // registered with DriverManager from this class loader, whoever asks first
    }

    private final DatabaseUrl url;
    private final SqliteSettings settings;

    public SqliteDialect(DatabaseUrl url, SqliteSettings settings) {
        this.url = url;
        this.settings = settings;
    }

    /**
     * The pragmas every Parley connection runs with, in the driver's URL form. The server's datasources get the URL
     * with configuration expressions for the two settings ({@link #datasourceProperties}); the tools with values.
     */
    static String jdbcUrl(Path database, String busyTimeoutMs, String synchronous) {
        return "jdbc:sqlite:" + database + "?journal_mode=WAL&busy_timeout=" + busyTimeoutMs + "&synchronous="
                + synchronous + "&foreign_keys=true";
    }

    /** The Quarkus datasource properties that switch the SQLite reader and writer pools on (or off) for {@code url}. */
    public static Map<String, String> datasourceProperties(Optional<DatabaseUrl> active) {
        Map<String, String> props = new HashMap<>();
        boolean on = active.isPresent();
        props.put("quarkus.datasource.sqlite.active", String.valueOf(on));
        props.put("quarkus.datasource.sqlitewriter.active", String.valueOf(on));
        active.ifPresent(url -> {
            String jdbc = jdbcUrl(url.sqlitePath(), "${parley.sqlite.busy-timeout-ms}", "${parley.sqlite.synchronous}");
            props.put("quarkus.datasource.sqlite.jdbc.url", jdbc);
            props.put("quarkus.datasource.sqlitewriter.jdbc.url", jdbc);
        });
        return props;
    }

    static void load(String driver) {
        try {
            Class.forName(driver);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("JDBC driver " + driver + " is missing from the build", e);
        }
    }

    @Override
    public DatabaseUrl url() {
        return url;
    }

    Path path() {
        return url.sqlitePath();
    }

    @Override
    public String migrationLocation() {
        return "classpath:db/migration/sqlite";
    }

    @Override
    public String jdbcUrl() {
        return jdbcUrl(path(), String.valueOf(settings.busyTimeoutMs()), settings.synchronous());
    }

    @Override
    public boolean exists() {
        return Files.exists(path());
    }

    @Override
    public Connection connect(boolean create) {
        Path file = path();
        if (!create && !Files.exists(file)) {
            throw new BackendUnavailable("SQLite database " + file + " does not exist");
        }
        try {
            createFiles(file);
            return DriverManager.getConnection(jdbcUrl());
        } catch (SQLException e) {
            throw new BackendUnavailable("Cannot open " + describe() + ": " + RootCause.message(e));
        }
    }

    /** The database's directory, created 0700 if missing (see {@link OwnerOnly}). */
    static void createDirectory(Path file) {
        try {
            OwnerOnly.directory(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new BackendUnavailable("Cannot create directory " + file.toAbsolutePath().getParent()
                    + " for the SQLite database: " + RootCause.message(e), true);
        }
    }

    /** The directory and an empty owner-only database file, before SQLite creates it with the process' umask. */
    static void createFiles(Path file) {
        createDirectory(file);
        try {
            OwnerOnly.file(file);
        } catch (IOException e) {
            throw new BackendUnavailable("Cannot create the SQLite database " + file + ": " + RootCause.message(e),
                    true);
        }
    }

    @Override
    public AutoCloseable holdExclusively() {
        return lock(path());
    }

    /** Takes Parley's lock file for {@code database}; a second Parley process is refused with a one-line reason. */
    static SqliteFileLock lock(Path database) {
        createDirectory(database);
        try {
            return SqliteFileLock.acquire(database);
        } catch (IllegalStateException e) {
            throw new BackendUnavailable(e.getMessage());
        } catch (IOException e) {
            throw new BackendUnavailable("Cannot lock SQLite database " + database + ": " + RootCause.message(e));
        }
    }

    @Override
    public Object read(ResultSet rs, int index, ColumnType type) throws SQLException {
        return SqliteCodec.read(rs, index, type);
    }

    @Override
    public void bind(PreparedStatement ps, int index, ColumnType type, Object value) throws SQLException {
        SqliteCodec.bind(ps, index, type, value);
    }

    /** Nothing to set: in WAL mode a read transaction sees one snapshot from its first read on. */
    @Override
    public void readSnapshot(Connection c) {
    }

    @Override
    public String orderByKey(Table table) {
        return table.key(); // SQLite compares text by its UTF-8 bytes (BINARY collation)
    }

    @Override
    public void insertRows(Connection c, Table table, List<Object[]> rows) throws SQLException {
        String marks = String.join(", ", Collections.nCopies(table.columns().size(), "?"));
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO " + table.name() + " (" + table.columnList() + ") VALUES (" + marks + ")")) {
            for (Object[] given : rows) {
                Object[] row = table.checked(given);
                for (int i = 0; i < row.length; i++) {
                    bind(ps, i + 1, table.columns().get(i).type(), row[i]);
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    @Override
    public List<String> afterCopy(Connection c, List<Table> tables) {
        return List.of(); // no sequences: ids are application-generated
    }

    private SqliteBackups.Policy policy(BackupPolicy policy) {
        return new SqliteBackups.Policy(path(), policy.dir(), policy.keep());
    }

    @Override
    public Backup backup(Optional<Path> target, BackupPolicy backupPolicy) {
        SqliteBackups.Policy policy = policy(backupPolicy);
        SqliteBackups.Backup b = SqliteBackups.backup(path(), target.orElseGet(() -> policy.fileFor(Instant.now())),
                settings.busyTimeoutMs());
        List<Path> pruned = target.isPresent() ? List.of() : policy.prune();
        return new Backup(b.file().toString(), b.bytes(), b.took(), "integrity ok", pruned);
    }

    @Override
    public Restored restore(Path backupFile) {
        return SqliteBackups.restore(backupFile, path());
    }

    @Override
    public Optional<Backup> backupBeforeMigration(BackupPolicy policy) {
        return exists() ? Optional.of(backup(Optional.empty(), policy)) : Optional.empty();
    }
}
