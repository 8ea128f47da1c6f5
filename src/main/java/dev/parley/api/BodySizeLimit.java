package dev.parley.api;

import jakarta.ws.rs.container.ContainerRequestContext;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import io.quarkus.runtime.configuration.MemorySize;

/**
 * Rejects oversize request bodies with a 413 problem before they are read. (The HTTP server's own limit, set higher,
 * stays as a backstop for bodies sent without a Content-Length; it answers without a problem document.)
 */
public class BodySizeLimit {

    private final MemorySize maxBodySize;

    BodySizeLimit(HttpSettings settings) {
        this.maxBodySize = settings.maxBodySize();
    }

    @ServerRequestFilter(preMatching = true)
    public void check(ContainerRequestContext request) {
        String length = request.getHeaderString("Content-Length");
        if (length == null) {
            return;
        }
        long bytes;
        try {
            bytes = Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            throw ApiProblem.badRequest("Content-Length is not a number");
        }
        if (bytes > maxBodySize.asLongValue()) {
            throw new ApiProblem(413, "payload-too-large", "Payload too large",
                    "request body of " + bytes + " bytes exceeds the limit of " + maxBodySize.asLongValue()
                            + " bytes (PARLEY_MAX_BODY_SIZE)");
        }
    }
}
