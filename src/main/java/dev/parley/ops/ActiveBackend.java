package dev.parley.ops;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.spi.ConfigSource;

import dev.parley.store.Backend;
import dev.parley.store.BillingStore;
import dev.parley.store.ConversationStore;
import dev.parley.store.DatabaseUrl;
import dev.parley.store.Dialect;
import dev.parley.store.Heartbeats;
import dev.parley.store.MessageStore;
import dev.parley.store.SearchStore;
import dev.parley.store.TenantStore;
import dev.parley.store.TurnStore;
import dev.parley.store.UpstreamStore;
import dev.parley.store.UsageStore;
import dev.parley.store.postgres.PgBillingStore;
import dev.parley.store.postgres.PgConversationStore;
import dev.parley.store.postgres.PgHeartbeats;
import dev.parley.store.postgres.PgMessageStore;
import dev.parley.store.postgres.PgSearchStore;
import dev.parley.store.postgres.PgTenantStore;
import dev.parley.store.postgres.PgTurnStore;
import dev.parley.store.postgres.PgUpstreamStore;
import dev.parley.store.postgres.PgUsageStore;
import dev.parley.store.postgres.PostgresBackend;
import dev.parley.store.postgres.PostgresDialect;
import dev.parley.store.sqlite.SqliteBackend;
import dev.parley.store.sqlite.SqliteBillingStore;
import dev.parley.store.sqlite.SqliteConversationStore;
import dev.parley.store.sqlite.SqliteDialect;
import dev.parley.store.sqlite.SqliteHeartbeats;
import dev.parley.store.sqlite.SqliteMessageStore;
import dev.parley.store.sqlite.SqliteSearchStore;
import dev.parley.store.sqlite.SqliteSettings;
import dev.parley.store.sqlite.SqliteTenantStore;
import dev.parley.store.sqlite.SqliteTurnStore;
import dev.parley.store.sqlite.SqliteUpstreamStore;
import dev.parley.store.sqlite.SqliteUsageStore;
import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.common.MapBackedConfigSource;

/**
 * The composition root: the one class that knows both adapters. It picks the adapter of the backend that
 * {@code DATABASE_URL} names ({@link DatabaseUrl#backend()}) and hands out its store ports, its {@link Backend} and,
 * for the operations commands, its {@link Dialect}. Everything else injects the ports and never learns which
 * backend it has.
 */
@Singleton
public class ActiveBackend {

    private final Config config;

    ActiveBackend(Config config) {
        this.config = config;
    }

    /** The configured database; {@link DatabaseUrl.Invalid} when the URL is malformed. */
    public DatabaseUrl url() {
        return DatabaseUrl.fromConfig(name -> config.getOptionalValue(name, String.class).orElse(null));
    }

    /** The adapters' settings, for a configuration built without the server (the operations commands'). */
    public static final List<Class<?>> SETTINGS = List.of(SqliteSettings.class);

    /** The offline side of the adapter for {@code url}, with its settings from {@code config} (see {@link #SETTINGS}). */
    public static Dialect dialect(DatabaseUrl url, SmallRyeConfig config) {
        return dialect(url, config.getConfigMapping(SqliteSettings.class));
    }

    /** The offline side of the adapter for {@code url}: what the operations commands use. */
    public static Dialect dialect(DatabaseUrl url, SqliteSettings sqlite) {
        return switch (url.backend()) {
            case SQLITE -> new SqliteDialect(url, sqlite);
            case POSTGRESQL -> new PostgresDialect(url);
        };
    }

    @Produces
    @Singleton
    DatabaseUrl databaseUrl() {
        return url();
    }

    @Produces
    @ApplicationScoped
    Backend backend(DatabaseUrl url, Instance<SqliteBackend> sqlite, Instance<PostgresBackend> postgres) {
        return pick(url, sqlite, postgres);
    }

    @Produces
    @ApplicationScoped
    TenantStore tenants(DatabaseUrl url, Instance<SqliteTenantStore> sqlite, Instance<PgTenantStore> postgres) {
        return pick(url, sqlite, postgres);
    }

    @Produces
    @ApplicationScoped
    ConversationStore conversations(DatabaseUrl url, Instance<SqliteConversationStore> sqlite,
            Instance<PgConversationStore> postgres) {
        return pick(url, sqlite, postgres);
    }

    @Produces
    @ApplicationScoped
    MessageStore messages(DatabaseUrl url, Instance<SqliteMessageStore> sqlite, Instance<PgMessageStore> postgres) {
        return pick(url, sqlite, postgres);
    }

    @Produces
    @ApplicationScoped
    SearchStore search(DatabaseUrl url, Instance<SqliteSearchStore> sqlite, Instance<PgSearchStore> postgres) {
        return pick(url, sqlite, postgres);
    }

    @Produces
    @ApplicationScoped
    Heartbeats heartbeats(DatabaseUrl url, Instance<SqliteHeartbeats> sqlite, Instance<PgHeartbeats> postgres) {
        return pick(url, sqlite, postgres);
    }

    @Produces
    @ApplicationScoped
    BillingStore billing(DatabaseUrl url, Instance<SqliteBillingStore> sqlite, Instance<PgBillingStore> postgres) {
        return pick(url, sqlite, postgres);
    }

    @Produces
    @ApplicationScoped
    TurnStore turns(DatabaseUrl url, Instance<SqliteTurnStore> sqlite, Instance<PgTurnStore> postgres) {
        return pick(url, sqlite, postgres);
    }

    @Produces
    @ApplicationScoped
    UsageStore usage(DatabaseUrl url, Instance<SqliteUsageStore> sqlite, Instance<PgUsageStore> postgres) {
        return pick(url, sqlite, postgres);
    }

    @Produces
    @ApplicationScoped
    UpstreamStore upstreams(DatabaseUrl url, Instance<SqliteUpstreamStore> sqlite, Instance<PgUpstreamStore> postgres) {
        return pick(url, sqlite, postgres);
    }

    /** The one branch on the backend: only the chosen adapter's bean is ever created. */
    private static <T> T pick(DatabaseUrl url, Instance<? extends T> sqlite, Instance<? extends T> postgres) {
        return switch (url.backend()) {
            case SQLITE -> sqlite.get();
            case POSTGRESQL -> postgres.get();
        };
    }

    /**
     * Turns {@code DATABASE_URL} into datasource settings when the configuration is built, so one build serves either
     * backend. The datasource kinds are fixed at build time ({@code application.properties}); this source switches
     * the chosen adapter's datasources on, hands them their URLs, and switches the other's off. Its ordinal sits above
     * {@code application.properties} and below environment variables, so an operator can still override any single
     * Quarkus property. A malformed URL switches everything off; start-up then reports it in one line.
     */
    public static final class DatasourceConfig implements ConfigSourceFactory {

        private static final int ORDINAL = 275;

        @Override
        public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
            Optional<DatabaseUrl> url;
            try {
                url = Optional.of(DatabaseUrl.fromConfig(name -> {
                    ConfigValue v = context.getValue(name);
                    return v == null ? null : v.getValue();
                }));
            } catch (DatabaseUrl.Invalid e) {
                url = Optional.empty();
            }
            Optional<DatabaseUrl> sqlite = url.filter(u -> u.backend() == DatabaseUrl.Backend.SQLITE);
            Optional<DatabaseUrl> postgres = url.filter(u -> u.backend() == DatabaseUrl.Backend.POSTGRESQL);
            Map<String, String> props = new HashMap<>(SqliteDialect.datasourceProperties(sqlite));
            props.putAll(PostgresDialect.datasourceProperties(postgres));
            return List.of(new MapBackedConfigSource("ParleyDatasourceConfig", props, ORDINAL) {
            });
        }

        @Override
        public OptionalInt getPriority() {
            return OptionalInt.of(ORDINAL);
        }
    }
}
