package dev.parley.store.postgres;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Typed;

import org.flywaydb.core.Flyway;

import dev.parley.store.Backend;
import dev.parley.store.BackendUnavailable;
import dev.parley.store.DatabaseUrl;
import dev.parley.store.Dialect;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.flyway.FlywayDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * PostgreSQL as the running server's backend: the reactive pool serves every read and write, replicas share the
 * database, and Flyway's lock serialises their migrations.
 */
@ApplicationScoped
@Typed(PostgresBackend.class)
public class PostgresBackend implements Backend {

    private final PostgresDialect dialect;
    private final InjectableInstance<Pool> pool;
    private final Instance<Flyway> flyways;
    private final MeterRegistry registry;
    private final PostgresSettings settings;
    private final PgStatistics statistics;

    PostgresBackend(DatabaseUrl url, InjectableInstance<Pool> pool, @Any Instance<Flyway> flyways,
            MeterRegistry registry, PostgresSettings settings, PgStatistics statistics) {
        this.dialect = new PostgresDialect(url);
        this.pool = pool;
        this.flyways = flyways;
        this.registry = registry;
        this.settings = settings;
        this.statistics = statistics;
    }

    @Override
    public Dialect dialect() {
        return dialect;
    }

    @Override
    public void prepare() {
        // checked here rather than by a constraint on the mapping: one constraint on any @ConfigMapping makes Quarkus
        // build a Hibernate Validator factory over the configuration at every start (about 15 % of the fast start)
        atLeastOne("PARLEY_PG_ADMISSION_CONNECTIONS", settings.admissionConnections());
        atLeastOne("PARLEY_PG_SEARCH_CONCURRENCY", settings.searchConcurrency());
        // the pool connects on first use; Flyway's connection is the first, and says it when the server is away
    }

    private static void atLeastOne(String setting, int value) {
        if (value < 1) {
            throw new BackendUnavailable(setting + " must be at least 1 (it is " + value + ")", true);
        }
    }

    @Override
    public Flyway flyway() {
        return flyways.select(FlywayDataSource.FlywayDataSourceLiteral.of("pgjdbc")).get();
    }

    @Override
    public void start() {
        // writes are concurrent through the pool; only the planner's statistics need keeping where autovacuum is off
        statistics.start();
    }

    @Override
    public Uni<Void> ping() {
        return pool.get().query("SELECT 1").execute().replaceWithVoid();
    }

    @Override
    public Optional<String> writeStallCause() {
        return Optional.empty();
    }

    @Override
    public Map<String, Object> diagnostics() {
        Map<String, Object> pool = meters("sql.pool");
        pool.put("maxSize", settings.pool().maxSize());
        return Map.of("pool", pool, "client", meters("postgresql"));
    }

    /** Current values of the gauges whose name starts with {@code prefix}, e.g. the reactive pool's. */
    private Map<String, Object> meters(String prefix) {
        Map<String, Object> values = new TreeMap<>();
        for (Meter meter : registry.getMeters()) {
            String name = meter.getId().getName();
            if (name.startsWith(prefix) && meter instanceof Gauge g) {
                values.put(name.substring(prefix.length()).replaceFirst("^\\.", ""), g.value());
            }
        }
        return values;
    }

    @Override
    public boolean takesScheduledBackups() {
        return false;
    }

    @Override
    public void shutdown() {
        // the pool closes with the application
    }
}
