package dev.parley.ops;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import dev.parley.store.Backend;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;

/**
 * Ready = the schema is migrated, the active database answers a query, and a write committed recently (see
 * {@link WriteProbe}): a database that can be read but not written is not ready.
 */
@Readiness
@ApplicationScoped
public class DatabaseReadiness implements AsyncHealthCheck {

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

    private final ActiveBackend active;
    private final Instance<Backend> backend;
    private final DatabaseStartup startup;
    private final WriteProbe writeProbe;

    DatabaseReadiness(ActiveBackend active, Instance<Backend> backend, DatabaseStartup startup,
            WriteProbe writeProbe) {
        this.active = active;
        this.backend = backend;
        this.startup = startup;
        this.writeProbe = writeProbe;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("database")
                .withData("schemaVersion", startup.schemaVersion());
        if (startup.failure() != null) {
            return Uni.createFrom().item(response.down().withData("error", startup.failure()).build());
        }
        response.withData("backend", active.url().backend().id());
        if (!startup.migrated()) {
            return Uni.createFrom().item(response.down().withData("error", "migrations not applied yet").build());
        }
        var stall = writeProbe.stall();
        if (stall.isPresent()) {
            return Uni.createFrom().item(response.down().withData("error", stall.get()).build());
        }
        return backend.get().ping()
                .ifNoItem().after(PROBE_TIMEOUT).failWith(() -> new IllegalStateException(
                        "database did not answer within " + PROBE_TIMEOUT.toSeconds() + " s"))
                .map(ignored -> response.up().build())
                .onFailure().recoverWithItem(e -> response.down().withData("error", String.valueOf(e.getMessage()))
                        .build());
    }
}
