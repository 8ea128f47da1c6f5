package dev.parley.api;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** HTTP settings: the body limit ({@code PARLEY_MAX_BODY_SIZE}; the HTTP server's own limit follows it), Swagger UI. */
@ConfigMapping(prefix = "parley")
public interface HttpSettings {

    /** Largest accepted request body; larger gets 413. */
    @WithDefault("1M")
    MemorySize maxBodySize();

    /** Serve Swagger UI at /q/swagger-ui ({@code PARLEY_SWAGGER_UI}); the OpenAPI document itself is always served. */
    @WithDefault("false")
    boolean swaggerUi();
}
