package dev.parley.api;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** HTTP limits ({@code PARLEY_MAX_BODY_SIZE}); the HTTP server's own body limit follows it. */
@ConfigMapping(prefix = "parley")
public interface HttpSettings {

    /** Largest accepted request body; larger gets 413. */
    @WithDefault("1M")
    MemorySize maxBodySize();
}
