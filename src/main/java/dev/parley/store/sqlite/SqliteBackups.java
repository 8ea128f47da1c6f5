package dev.parley.store.sqlite;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.parley.store.Dialect.BackupFailed;
import dev.parley.store.Dialect.Restored;
import dev.parley.store.RootCause;

/**
 * Consistent copies of a live SQLite database, and putting one back.
 * <p>
 * A backup is {@code VACUUM INTO} a new file: it reads one snapshot inside a single read transaction, which in WAL
 * mode never blocks the writer and, unlike the incremental backup API, never restarts when the database changes
 * underneath it. The copy is written under a temporary name, synced, checked with {@code PRAGMA integrity_check} and
 * only then renamed to {@code <db>.<UTC timestamp>.bak}, so a file with that name is always a complete backup.
 */
public final class SqliteBackups {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'")
            .withZone(ZoneOffset.UTC);

    public record Backup(Path file, long bytes, Duration took) {
    }

    static {
        SqliteDialect.load("org.sqlite.JDBC");
    }

    private SqliteBackups() {
    }

    /**
     * Where the timestamped backups of a database go ({@code dir}, or next to the database when null) and how many
     * of them are kept ({@code keep}; 0 keeps all). Pre-migration, scheduled and {@code parley backup} backups share
     * it.
     */
    public record Policy(Path database, Path dir, int keep) {

        public Path directory() {
            return dir == null ? database.toAbsolutePath().getParent() : dir;
        }

        /** The file for a backup taken at {@code now}: {@code <db>.<UTC timestamp>.bak}. */
        public Path fileFor(Instant now) {
            return directory().resolve(database.getFileName() + "." + STAMP.format(now) + ".bak");
        }

        /**
         * Deletes all but the newest {@code keep} timestamped backups; returns what it deleted. Only files named by
         * {@link #fileFor} are considered; anything else in the directory is left alone.
         */
        public List<Path> prune() {
            if (keep <= 0) {
                return List.of();
            }
            Pattern name = Pattern.compile(Pattern.quote(database.getFileName().toString())
                    + "\\.\\d{8}T\\d{9}Z\\.bak");
            List<Path> deleted = new ArrayList<>();
            try (Stream<Path> files = Files.list(directory())) {
                List<Path> backups = files.filter(p -> name.matcher(p.getFileName().toString()).matches())
                        .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList();
                for (Path old : backups.subList(Math.min(keep, backups.size()), backups.size())) {
                    Files.deleteIfExists(old);
                    deleted.add(old);
                }
            } catch (IOException e) {
                throw new BackupFailed("cannot prune backups in " + directory() + ": " + RootCause.message(e));
            }
            return deleted;
        }
    }

    /**
     * Backs up {@code database} (which may be in use by a running Parley) to {@code target}, waiting up to
     * {@code busyTimeoutMs} for locks like every Parley connection.
     */
    public static Backup backup(Path database, Path target, long busyTimeoutMs) {
        if (!Files.isRegularFile(database)) {
            throw new BackupFailed("SQLite database " + database + " does not exist");
        }
        if (Files.exists(target)) {
            throw new BackupFailed("backup target " + target + " already exists");
        }
        long start = System.nanoTime();
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try {
            OwnerOnly.directory(target.toAbsolutePath().getParent());
            Files.deleteIfExists(partial);
            OwnerOnly.file(partial); // VACUUM INTO writes into an empty file, keeping its permissions
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database + "?busy_timeout="
                    + busyTimeoutMs);
                    Statement st = c.createStatement()) {
                st.execute("VACUUM INTO '" + partial.toString().replace("'", "''") + "'");
            }
            sync(partial);
            String integrity = integrityCheck(partial);
            if (!"ok".equals(integrity)) {
                throw new BackupFailed("backup of " + database + " failed its integrity check: " + integrity);
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            sync(target.toAbsolutePath().getParent());
            return new Backup(target, Files.size(target), Duration.ofNanos(System.nanoTime() - start));
        } catch (SQLException | IOException e) {
            throw new BackupFailed("backup of " + database + " to " + target + " failed: " + RootCause.message(e));
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    /** {@code ok}, or the first problems {@code PRAGMA integrity_check} reports, joined on one line. */
    public static String integrityCheck(Path file) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file + "?open_mode=1");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("PRAGMA integrity_check(20)")) {
            List<String> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
            return String.join("; ", rows);
        } catch (SQLException e) {
            return "unreadable (" + RootCause.message(e) + ")";
        }
    }

    /** The schema version recorded in a database file (Flyway's history), or "none". */
    public static String schemaVersion(Path file) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file + "?open_mode=1");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT version FROM flyway_schema_history WHERE success = 1 "
                        + "AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1")) {
            return rs.next() ? rs.getString(1) : "none";
        } catch (SQLException e) {
            return "none";
        }
    }

    /**
     * Puts a backup in place of {@code database}. Refuses while a Parley process holds the database, and refuses a
     * backup that fails {@code PRAGMA integrity_check}. The database it replaces, with its WAL, is moved aside to
     * {@code <db>.<timestamp>.pre-restore}, never deleted.
     */
    public static Restored restore(Path backup, Path database) {
        if (!Files.isRegularFile(backup)) {
            throw new BackupFailed("backup file " + backup + " does not exist");
        }
        String integrity = integrityCheck(backup);
        if (!"ok".equals(integrity)) {
            throw new BackupFailed("backup " + backup + " failed its integrity check, nothing restored: " + integrity);
        }
        String version = schemaVersion(backup);
        try {
            Files.createDirectories(database.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new BackupFailed("cannot create " + database.toAbsolutePath().getParent() + ": " + e.getMessage());
        }
        try (SqliteFileLock lock = SqliteFileLock.acquire(database)) {
            Path previous = null;
            Path partial = database.resolveSibling(database.getFileName() + ".restore.partial");
            Files.copy(backup, partial, StandardCopyOption.REPLACE_EXISTING);
            OwnerOnly.restrict(partial);
            sync(partial);
            if (Files.exists(database)) {
                previous = database.resolveSibling(database.getFileName() + "." + STAMP.format(Instant.now())
                        + ".pre-restore");
                for (String suffix : List.of("-wal", "-shm")) {
                    Path side = database.resolveSibling(database.getFileName() + suffix);
                    if (Files.exists(side)) {
                        Path kept = previous.resolveSibling(previous.getFileName() + suffix);
                        Files.move(side, kept);
                        OwnerOnly.restrict(kept);
                    }
                }
                Files.move(database, previous, StandardCopyOption.ATOMIC_MOVE);
                OwnerOnly.restrict(previous);
            }
            Files.move(partial, database, StandardCopyOption.ATOMIC_MOVE);
            sync(database.toAbsolutePath().getParent());
            String after = integrityCheck(database);
            if (!"ok".equals(after)) {
                throw new BackupFailed("restored database " + database + " failed its integrity check: " + after);
            }
            return new Restored(database, previous, version);
        } catch (IllegalStateException e) {
            throw new BackupFailed("refusing to restore: " + e.getMessage());
        } catch (IOException e) {
            throw new BackupFailed("restore of " + backup + " to " + database + " failed: " + RootCause.message(e));
        }
    }

    private static void sync(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, Files.isDirectory(path) ? StandardOpenOption.READ
                : StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }
}
