package dev.parley.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Rejects a body whose {@code Content-Length} exceeds {@code PARLEY_MAX_BODY_SIZE} with a 413 problem before any of
 * it is read. It runs ahead of the HTTP server's own check of the same header (route order -2), which would answer
 * a bare 413; that server limit follows the same setting and still stops a chunked body (no Content-Length) once it
 * grows past the limit, with a bare 413, since by then the server has answered and closes the connection.
 */
@ApplicationScoped
public class BodySizeLimit {

    private final long maxBodySize;

    BodySizeLimit(HttpSettings settings) {
        this.maxBodySize = settings.maxBodySize().asLongValue();
    }

    void install(@Observes Router router) {
        router.route().order(-3).handler(this::check);
    }

    private void check(RoutingContext context) {
        String length = context.request().getHeader(HttpHeaderNames.CONTENT_LENGTH);
        if (length == null) {
            context.next();
            return;
        }
        long bytes;
        try {
            bytes = Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            reject(context, 400, "invalid-request", "Invalid request", "Content-Length is not a number");
            return;
        }
        if (bytes > maxBodySize) {
            reject(context, 413, "payload-too-large", "Payload too large", "request body of " + bytes
                    + " bytes exceeds the limit of " + maxBodySize + " bytes (PARLEY_MAX_BODY_SIZE)");
            return;
        }
        context.next();
    }

    private static void reject(RoutingContext context, int status, String slug, String title, String detail) {
        JsonObject problem = new JsonObject().put("type", Problem.TYPE_PREFIX + slug).put("title", title)
                .put("status", status).put("detail", detail).put("instance", context.request().path());
        context.response().setStatusCode(status).putHeader(HttpHeaderNames.CONTENT_TYPE, Problem.MEDIA_TYPE)
                .putHeader(HttpHeaderNames.CONNECTION, "close").end(problem.encode());
    }
}
