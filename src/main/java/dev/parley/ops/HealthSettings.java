package dev.parley.ops;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Readiness settings ({@code PARLEY_HEALTH_*}). */
@ConfigMapping(prefix = "parley.health")
public interface HealthSettings {

    /** How often the write probe commits a heartbeat. */
    @WithDefault("1s")
    Duration writeProbeInterval();

    /** Readiness goes DOWN when no probe write committed for this long. */
    @WithDefault("5s")
    Duration writeStallTimeout();
}
