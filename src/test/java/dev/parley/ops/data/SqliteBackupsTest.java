package dev.parley.ops.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.parley.store.Dialect;
import dev.parley.store.sqlite.SqliteBackups;
import dev.parley.store.sqlite.SqliteFileLock;
import dev.parley.testing.Dialects;
import dev.parley.testing.Schema;

/** Online SQLite backups, retention, restore, and the backup taken before migrations. */
class SqliteBackupsTest {

    private static final long BUSY_TIMEOUT_MS = 30_000;
    private static final Dialect.BackupPolicy KEEP_5 = new Dialect.BackupPolicy(null, 5);

    @TempDir
    Path dir;

    private Path populatedDatabase(String name) throws Exception {
        Path db = dir.resolve(name);
        try (OpsDatabase ops = SampleData.migrated(SampleData.sqliteFile(dir, name))) {
            SampleData.populate(ops, 20, 5);
        }
        return db;
    }

    @Test
    void backupOfADatabaseBeingWrittenIsAConsistentSnapshot() throws Exception {
        Path db = populatedDatabase("live.db");
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong committed = new AtomicLong();
        Thread writer = new Thread(() -> {
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db + "?busy_timeout=30000");
                    PreparedStatement ps = c.prepareStatement("INSERT INTO heartbeats (instance, beat_at) VALUES (?, 1)")) {
                while (writing.get()) {
                    ps.setString(1, "writer-" + committed.get());
                    ps.executeUpdate();
                    committed.incrementAndGet();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        writer.start();
        try {
            while (committed.get() < 50) {
                Thread.onSpinWait();
            }
            long before = committed.get();
            SqliteBackups.Backup backup = SqliteBackups.backup(db,
                    new SqliteBackups.Policy(db, null, 5).fileFor(Instant.now()), BUSY_TIMEOUT_MS);
            long after = committed.get();
            assertThat(backup.file()).exists();
            assertThat(backup.file().getFileName().toString()).matches("live\\.db\\.\\d{8}T\\d{9}Z\\.bak");
            assertThat(SqliteBackups.integrityCheck(backup.file())).isEqualTo("ok");
            long inBackup = count(backup.file(), "SELECT count(*) FROM heartbeats WHERE instance LIKE 'writer-%'");
            assertThat(inBackup).isBetween(before, after);
            assertThat(after).as("the writer kept committing during the backup").isGreaterThan(before);
            assertThat(SqliteBackups.schemaVersion(backup.file())).isEqualTo(Schema.latestVersion());
        } finally {
            writing.set(false);
            writer.join();
        }
        assertThat(Files.list(dir).map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
    }

    @Test
    void pruneKeepsTheNewestTimestampedBackupsAndNothingElseIsTouched() throws Exception {
        Path db = populatedDatabase("keep.db");
        SqliteBackups.Policy keepTwo = new SqliteBackups.Policy(db, null, 2);
        List<Path> made = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            made.add(SqliteBackups.backup(db, keepTwo.fileFor(Instant.parse(
                    "2026-01-0" + (i + 1) + "T00:00:00Z")), BUSY_TIMEOUT_MS).file());
        }
        Path unrelated = Files.writeString(dir.resolve("keep.db.manual-copy.bak"), "mine");
        List<Path> deleted = keepTwo.prune();
        assertThat(deleted).containsExactlyInAnyOrder(made.get(0), made.get(1));
        assertThat(made.get(2)).exists();
        assertThat(made.get(3)).exists();
        assertThat(unrelated).exists();
        assertThat(db).exists();
    }

    @Test
    void restorePutsTheBackupInPlaceAndKeepsThePreviousDatabase() throws Exception {
        Path db = populatedDatabase("main.db");
        Path backup = SqliteBackups.backup(db, dir.resolve("snapshot.bak"), BUSY_TIMEOUT_MS).file();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("DELETE FROM messages");
        }
        Dialect.Restored restored = SqliteBackups.restore(backup, db);
        assertThat(restored.schemaVersion()).isEqualTo(Schema.latestVersion());
        assertThat(count(db, "SELECT count(*) FROM messages")).isEqualTo(20 * 5 + 3);
        assertThat(restored.previous()).exists();
        assertThat(count(restored.previous(), "SELECT count(*) FROM messages")).isZero();
        if (java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            for (Path p : List.of(backup, db, restored.previous())) {
                assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
                        .as("%s is the owner's only", p.getFileName()).isEqualTo("rw-------");
            }
        }
    }

    @Test
    void restoreRefusesWhileParleyHoldsTheDatabase() throws Exception {
        Path db = populatedDatabase("held.db");
        Path backup = SqliteBackups.backup(db, dir.resolve("held.bak"), BUSY_TIMEOUT_MS).file();
        byte[] before = Files.readAllBytes(db);
        try (SqliteFileLock held = SqliteFileLock.acquire(db)) {
            assertThatThrownBy(() -> SqliteBackups.restore(backup, db)).isInstanceOf(Dialect.BackupFailed.class)
                    .hasMessageContaining("in use by another Parley process");
        }
        assertThat(Files.readAllBytes(db)).isEqualTo(before);
    }

    @Test
    void restoreRefusesACorruptBackupAndChangesNothing() throws Exception {
        Path db = populatedDatabase("safe.db");
        Path backup = SqliteBackups.backup(db, dir.resolve("good.bak"), BUSY_TIMEOUT_MS).file();
        byte[] bytes = Files.readAllBytes(backup);
        for (int i = 4096; i < bytes.length; i += 97) {
            bytes[i] ^= 0x5a; // damage every page after the header
        }
        Path corrupt = Files.write(dir.resolve("corrupt.bak"), bytes);
        byte[] before = Files.readAllBytes(db);
        assertThatThrownBy(() -> SqliteBackups.restore(corrupt, db)).isInstanceOf(Dialect.BackupFailed.class)
                .hasMessageContaining("integrity check").hasMessageContaining("nothing restored");
        assertThat(Files.readAllBytes(db)).isEqualTo(before);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("pre-restore"));
        }
    }

    @Test
    void pendingMigrationsAreAppliedAfterABackupOfTheOldSchema() throws Exception {
        Path db = dir.resolve("old.db");
        try (OpsDatabase ops = OpsDatabase.open(Dialects.of(SampleData.sqliteFile(dir, "old.db")), true, true)) {
            Flyway.configure().configuration(ops.flyway().getConfiguration()).target("2").load().migrate();
            Migrations.Outcome outcome = Migrations.apply(ops.flyway(), () -> ops.dialect().backupBeforeMigration(KEEP_5),
                    line -> {
                    });
            assertThat(outcome.schemaVersion()).isEqualTo(Schema.latestVersion());
            assertThat(outcome.backup()).exists();
            assertThat(SqliteBackups.schemaVersion(outcome.backup())).isEqualTo("2");
            assertThat(Migrations.apply(ops.flyway(), () -> ops.dialect().backupBeforeMigration(KEEP_5), l -> {
            }).backup()).as("nothing pending, no backup").isNull();
        }
    }

    @Test
    void failedMigrationLeavesTheDatabaseAsItWasAndNamesTheBackup() throws Exception {
        Path db = dir.resolve("fail.db");
        try (OpsDatabase ops = OpsDatabase.open(Dialects.of(SampleData.sqliteFile(dir, "fail.db")), true, true)) {
            Flyway.configure().configuration(ops.flyway().getConfiguration()).target("2").load().migrate();
            Flyway withBroken = Flyway.configure().configuration(ops.flyway().getConfiguration())
                    .locations("classpath:db/migration/sqlite", "classpath:db/broken-migration").load();
            assertThatThrownBy(() -> Migrations.apply(withBroken, () -> ops.dialect().backupBeforeMigration(KEEP_5), l -> {
            })).isInstanceOf(Migrations.Failed.class).hasMessageContaining("left as it was")
                    .hasMessageMatching("(?s).*backup .*fail\\.db\\.\\d{8}T\\d{9}Z\\.bak.*");
            assertThat(Migrations.currentVersion(ops.flyway())).isEqualTo("2");
            try (Statement st = ops.connection().createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) FROM pragma_table_info('conversations') "
                            + "WHERE name = 'metadata'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("V3 rolled back with the failing V4").isZero();
            }
        }
    }

    /**
     * The search index refers to messages by their rowid (V9, V12), and SQLite documents that VACUUM may renumber the
     * rowids of a table without an INTEGER PRIMARY KEY; backups are made with VACUUM INTO. So: a database whose
     * messages have gaps in their rowids keeps every message's rowid, and an index that agrees with its content,
     * through a backup and a restore.
     */
    @Test
    void backupAndRestoreKeepTheMessagesRowidsTheSearchIndexRefersTo() throws Exception {
        Path db = populatedDatabase("rowids.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("DELETE FROM messages WHERE rowid % 3 = 0"); // gaps, with the index kept in step
        }
        java.util.Map<String, Long> before = rowids(db);
        assertThat(before).hasSizeGreaterThan(50);
        assertThat(ftsIntegrity(db)).isTrue();
        Path backup = SqliteBackups.backup(db, dir.resolve("rowids.bak"), BUSY_TIMEOUT_MS).file();
        assertThat(rowids(backup)).isEqualTo(before);
        assertThat(ftsIntegrity(backup)).isTrue();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("DELETE FROM messages");
        }
        SqliteBackups.restore(backup, db);
        assertThat(rowids(db)).isEqualTo(before);
        assertThat(ftsIntegrity(db)).isTrue();
        // each message with the word is found, through its own rowid
        long withWord = count(db, "SELECT count(*) FROM messages WHERE content LIKE '%conversation%'");
        assertThat(withWord).isGreaterThan(50);
        assertThat(count(db, "SELECT count(*) FROM messages_fts f JOIN messages_fts_content c "
                + "ON c.fts_rowid = f.rowid WHERE messages_fts MATCH 'conversation' "
                + "AND c.content LIKE '%conversation%'")).isEqualTo(withWord);
    }

    private static java.util.Map<String, Long> rowids(Path db) throws Exception {
        java.util.Map<String, Long> ids = new java.util.TreeMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT id, rowid FROM messages")) {
            while (rs.next()) {
                ids.put(rs.getString(1), rs.getLong(2));
            }
        }
        return ids;
    }

    /** FTS5's own check that the index matches its content (the messages, through their rowids). */
    private static boolean ftsIntegrity(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)");
            return true;
        }
    }

    private static long count(Path db, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
