package dev.parley.ops;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import dev.parley.store.sqlite.SqliteReaders;
import io.quarkus.arc.InjectableInstance;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * Ready = the schema is migrated, the active database answers a query, and a write committed recently (see
 * {@link WriteProbe}): a database that can be read but not written is not ready.
 */
@Readiness
@ApplicationScoped
public class DatabaseReadiness implements AsyncHealthCheck {

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

    @Inject
    ActiveBackend backend;

    @Inject
    DatabaseStartup startup;

    @Inject
    SqliteReaders sqliteReaders;

    @Inject
    WriteProbe writeProbe;

    @Inject
    InjectableInstance<Pool> postgresPool;

    @Override
    public Uni<HealthCheckResponse> call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("database")
                .withData("backend", backend.id())
                .withData("schemaVersion", startup.schemaVersion());
        if (startup.failure() != null) {
            return Uni.createFrom().item(response.down().withData("error", startup.failure()).build());
        }
        if (!startup.migrated()) {
            return Uni.createFrom().item(response.down().withData("error", "migrations not applied yet").build());
        }
        var stall = writeProbe.stall();
        if (stall.isPresent()) {
            return Uni.createFrom().item(response.down().withData("error", stall.get()).build());
        }
        return ping()
                .ifNoItem().after(PROBE_TIMEOUT).failWith(() -> new IllegalStateException(
                        "database did not answer within " + PROBE_TIMEOUT.toSeconds() + " s"))
                .map(ignored -> response.up().build())
                .onFailure().recoverWithItem(e -> response.down().withData("error", String.valueOf(e.getMessage()))
                        .build());
    }

    private Uni<Void> ping() {
        if (backend.isSqlite()) {
            return sqliteReaders.read(c -> {
                try (var st = c.createStatement(); var rs = st.executeQuery("SELECT 1")) {
                    rs.next();
                    return null;
                }
            });
        }
        return postgresPool.get().query("SELECT 1").execute().replaceWithVoid();
    }
}
