package dev.parley.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.parley.store.DatabaseUrl;
import dev.parley.store.sqlite.SqliteBackups;
import dev.parley.testing.Eventually;
import dev.parley.testing.SqliteBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** With PARLEY_BACKUP_INTERVAL set, the server backs its SQLite database up by itself and keeps the newest few. */
@QuarkusTest
@TestProfile(ScheduledBackupsTest.Profile.class)
class ScheduledBackupsTest {

    static final Path DIR = Path.of("target", "test-backups", String.valueOf(System.nanoTime())).toAbsolutePath();

    public static class Profile extends SqliteBackend {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.put("parley.backup.interval", "1s"); // the scheduler ticks once a second
            config.put("parley.backup.keep", "2");
            config.put("parley.backup.dir", DIR.toString());
            return config;
        }
    }

    @Inject
    DatabaseUrl database;

    @Test
    void backupsAreTakenOnScheduleAndOnlyTheNewestAreKept() throws Exception {
        Files.createDirectories(DIR);
        List<Path> first = Eventually.value(ScheduledBackupsTest::backups, b -> b.size() >= 2, Duration.ofSeconds(20));
        Eventually.value(ScheduledBackupsTest::backups, b -> b.stream().noneMatch(first::contains),
                Duration.ofSeconds(20));
        assertThat(backups()).hasSizeLessThanOrEqualTo(3); // 2 kept, at most one written since the last prune
        Path newest = backups().get(backups().size() - 1);
        assertThat(SqliteBackups.integrityCheck(newest)).isEqualTo("ok");
        assertThat(newest.getFileName().toString()).startsWith(database.sqlitePath().getFileName() + ".");
    }

    private static List<Path> backups() {
        try (Stream<Path> files = Files.list(DIR)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".bak")).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
