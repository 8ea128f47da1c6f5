package dev.parley.ops;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import dev.parley.store.Dialect;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Backup settings ({@code PARLEY_BACKUP_*}), the same for the pre-migration backup at start-up, the scheduled ones
 * and {@code parley backup}.
 */
@ConfigMapping(prefix = "parley.backup")
public interface BackupSettings {

    /** How often the server takes a backup (SQLite); none when unset. */
    Optional<Duration> interval();

    /** Timestamped backups kept; 0 keeps all. */
    @WithDefault("5")
    int keep();

    /** Where backups go; next to the database when unset. */
    Optional<String> dir();

    default Dialect.BackupPolicy policy() {
        return new Dialect.BackupPolicy(dir().map(Path::of).orElse(null), keep());
    }
}
