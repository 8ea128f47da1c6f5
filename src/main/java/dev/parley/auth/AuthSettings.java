package dev.parley.auth;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** API key settings: {@code PARLEY_AUTH_*} and the bootstrap key {@code PARLEY_BOOTSTRAP_*}. */
@ConfigMapping(prefix = "parley")
public interface AuthSettings {

    Auth auth();

    Bootstrap bootstrap();

    interface Auth {
        /** How long a verified API key is remembered. */
        @WithDefault("30s")
        Duration cacheTtl();

        /** How often key last-use times are written, in one batch. */
        @WithDefault("60s")
        Duration keyUseFlushInterval();
    }

    interface Bootstrap {
        /** Creates the first tenant with this value as an admin key (at least 16 characters). */
        Optional<String> apiKey();

        /** The name of that tenant. */
        @WithDefault("default")
        String tenant();
    }
}
