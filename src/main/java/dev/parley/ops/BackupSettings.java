package dev.parley.ops;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import dev.parley.ops.data.SqliteBackups;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * SQLite backup settings ({@code PARLEY_BACKUP_*}), read in one place for the pre-migration backup at start-up and
 * the scheduled ones.
 */
@ConfigMapping(prefix = "parley.backup")
public interface BackupSettings {

    /** How often the server takes a backup; none when unset. */
    Optional<Duration> interval();

    /** Timestamped backups kept; 0 keeps all. */
    @WithDefault("5")
    int keep();

    /** Where backups go; next to the database when unset. */
    Optional<String> dir();

    default SqliteBackups.Policy policy(Path database) {
        return new SqliteBackups.Policy(database, dir().map(Path::of).orElse(null), keep());
    }
}
