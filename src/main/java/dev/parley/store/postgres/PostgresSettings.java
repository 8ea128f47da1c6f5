package dev.parley.store.postgres;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * PostgreSQL settings ({@code PARLEY_PG_*}). The pool settings reach Quarkus' reactive datasource through
 * {@code application.properties}, which refers to these names, so each default is written here only.
 */
@ConfigMapping(prefix = "parley.pg")
public interface PostgresSettings {

    Pool pool();

    /**
     * Connections per process for the turns of tenants with limits ({@link PgAdmissionLanes}), besides the pool: each
     * runs one statement at a time, a tenant's always on the same one.
     */
    @WithDefault("2")
    int admissionConnections();

    /**
     * Searches a process runs on the database at once ({@link PgSearchLanes}); more wait their turn in order.
     */
    @WithDefault("4")
    int searchConcurrency();

    /**
     * Whether a process takes shares of its limited subjects' counters in advance and admits their turns against them
     * in memory ({@link PgCounterLeases}); off, every limited turn is admitted by its own statement.
     */
    @WithDefault("true")
    boolean counterLeases();

    interface Pool {
        /** Reactive pool size per process. */
        @WithDefault("20")
        int maxSize();

        /** Pooled connections idle this long are closed. */
        @WithDefault("PT5M")
        Duration idleTimeout();

        /** Pooled connections are recycled after this long (lets a failover or a PgBouncer restart heal). */
        @WithDefault("PT30M")
        Duration maxLifetime();
    }
}
