package dev.parley.ops;

import java.nio.file.Path;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.parley.store.ConversationStore;
import dev.parley.store.Heartbeats;
import dev.parley.store.MessageStore;
import dev.parley.store.TenantStore;
import dev.parley.store.postgres.PgConversationStore;
import dev.parley.store.postgres.PgHeartbeats;
import dev.parley.store.postgres.PgMessageStore;
import dev.parley.store.postgres.PgTenantStore;
import dev.parley.store.sqlite.SqliteConversationStore;
import dev.parley.store.sqlite.SqliteHeartbeats;
import dev.parley.store.sqlite.SqliteMessageStore;
import dev.parley.store.sqlite.SqliteTenantStore;

/**
 * The backend this process runs on, as decided by {@link BackendConfigSourceFactory}, and the one place that hands
 * out the matching store adapters. Domain code injects the store ports and never learns which backend it has.
 */
@ApplicationScoped
public class ActiveBackend {

    @ConfigProperty(name = "parley.backend")
    String backend;

    @ConfigProperty(name = BackendConfigSourceFactory.ERROR_PROPERTY)
    Optional<String> urlError;

    @ConfigProperty(name = "parley.database.description", defaultValue = "no database")
    String description;

    @ConfigProperty(name = "parley.sqlite.path")
    Optional<String> sqlitePath;

    public boolean isSqlite() {
        return "sqlite".equals(backend);
    }

    public String id() {
        return backend;
    }

    /** The database in words, without secrets, for logs and diagnostics. */
    public String description() {
        return description;
    }

    public Optional<String> urlError() {
        return urlError;
    }

    public Path sqlitePath() {
        return Path.of(sqlitePath.orElseThrow(() -> new IllegalStateException("not running on SQLite")));
    }

    @Produces
    @ApplicationScoped
    TenantStore tenants(Instance<SqliteTenantStore> sqlite, Instance<PgTenantStore> postgres) {
        return isSqlite() ? sqlite.get() : postgres.get();
    }

    @Produces
    @ApplicationScoped
    ConversationStore conversations(Instance<SqliteConversationStore> sqlite, Instance<PgConversationStore> postgres) {
        return isSqlite() ? sqlite.get() : postgres.get();
    }

    @Produces
    @ApplicationScoped
    Heartbeats heartbeats(Instance<SqliteHeartbeats> sqlite, Instance<PgHeartbeats> postgres) {
        return isSqlite() ? sqlite.get() : postgres.get();
    }

    @Produces
    @ApplicationScoped
    MessageStore messages(Instance<SqliteMessageStore> sqlite, Instance<PgMessageStore> postgres) {
        return isSqlite() ? sqlite.get() : postgres.get();
    }
}
