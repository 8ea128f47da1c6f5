package dev.parley.usage;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** Usage settings: {@code PARLEY_DEFAULT_RESERVATION_TOKENS}, {@code PARLEY_MAX_TOKENS_CAP}, {@code PARLEY_USAGE_*}. */
@ConfigMapping(prefix = "parley")
public interface UsageSettings {

    /** Reply tokens a turn reserves against the budgets when it names no max_tokens. */
    @WithName("default-reservation-tokens")
    @WithDefault("1024")
    long defaultReservationTokens();

    /** The largest max_tokens forwarded to an upstream; larger requests are clamped. */
    @WithName("max-tokens-cap")
    @WithDefault("32768")
    long maxTokensCap();

    Usage usage();

    interface Usage {
        /** How long a tenant's limits are remembered; a change made through this process applies at once. */
        @WithDefault("5s")
        Duration limitsCacheTtl();
    }
}
