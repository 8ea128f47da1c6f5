package dev.parley.ops;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;

/** How the server starts. {@code MIGRATE_ON_STARTUP} reaches it through {@code application.properties}. */
@ConfigMapping(prefix = "parley")
public interface StartupSettings {

    /** Apply pending migrations at start; when false, start fails while any are pending. */
    @WithName("migrate-on-startup")
    boolean migrateOnStartup();

    /**
     * The database, when set here ({@code PARLEY_DATABASE_URL}) rather than in {@code DATABASE_URL}; see
     * {@link dev.parley.store.DatabaseUrl#fromConfig}.
     */
    @WithName("database-url")
    Optional<String> databaseUrl();
}
