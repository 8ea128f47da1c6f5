package dev.parley.ops;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Graceful shutdown ({@code PARLEY_SHUTDOWN_*}). Quarkus' own {@code quarkus.shutdown.delay} and
 * {@code quarkus.shutdown.timeout} follow these in {@code application.properties}.
 */
@ConfigMapping(prefix = "parley.shutdown")
public interface ShutdownSettings {

    /** On SIGTERM, how long readiness is DOWN while everything still works, before new chat turns are refused. */
    @WithDefault("5s")
    Duration drainDelay();

    /** Then how long the chat turns in flight get to finish. */
    @WithDefault("30s")
    Duration grace();
}
