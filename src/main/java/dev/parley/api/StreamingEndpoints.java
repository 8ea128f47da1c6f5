package dev.parley.api;

import java.util.regex.Pattern;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The chat endpoints answer either a server-sent-event stream or one JSON document, decided by the request body
 * ({@code "stream"}), so they set their own Content-Type and write their own SSE framing. Quarkus REST would otherwise
 * negotiate (and frame) by the Accept header before the body is read; for these two paths the choice is the body's.
 */
public class StreamingEndpoints {

    private static final Pattern CHAT_PATHS = Pattern.compile("^/(api/conversations/[^/]+/messages|v1/chat/completions)/?$");

    @ServerRequestFilter(preMatching = true)
    public void acceptAnything(ContainerRequestContext request) {
        if ("POST".equals(request.getMethod()) && CHAT_PATHS.matcher(request.getUriInfo().getPath()).matches()) {
            request.getHeaders().putSingle(HttpHeaders.ACCEPT, "*/*");
        }
    }
}
