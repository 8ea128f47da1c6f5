package dev.parley.api;

import java.util.Comparator;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonProcessingException;

import dev.parley.auth.Forbidden;
import dev.parley.billing.WebhookRejected;
import dev.parley.chat.ShuttingDownException;
import dev.parley.provider.ModelNotAllowedException;
import dev.parley.provider.OverloadedException;
import dev.parley.provider.TenantUpstreams;
import dev.parley.provider.UpstreamKeyEncryption;
import dev.parley.provider.UpstreamKeyUnreadable;
import dev.parley.provider.UnknownModelException;
import dev.parley.provider.UpstreamException;
import dev.parley.store.LimitExceeded;
import dev.parley.store.NoSuchConversationException;
import dev.parley.store.StoreOverloadedException;
import dev.parley.store.UuidV7;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.core.http.HttpServerRequest;

/** The one place where failures become HTTP answers: always {@code application/problem+json}, never a stack trace. */
public class ProblemMapper {

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @ServerExceptionMapper
    public Response apiProblem(ApiProblem e, HttpServerRequest request) {
        return respond(e.status(), e.slug(), e.title(), e.getMessage(), request, null);
    }

    /** No key, or one Parley does not accept (unknown, revoked, expired, malformed header). */
    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class })
    public Response unauthenticated(RuntimeException e, HttpServerRequest request) {
        String why = e instanceof AuthenticationFailedException && e.getMessage() != null ? e.getMessage()
                : "this operation needs an API key";
        return Response.fromResponse(respond(401, "unauthenticated", "Unauthenticated", why
                + "; send 'Authorization: Bearer <api key>'", request, null))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"parley\"").build();
    }

    /** A valid key without the scope the operation declares ({@code @RolesAllowed}). */
    @ServerExceptionMapper
    public Response missingScope(ForbiddenException e, ResourceInfo resource, HttpServerRequest request) {
        RolesAllowed declared = resource.getResourceMethod() == null ? null
                : resource.getResourceMethod().getAnnotation(RolesAllowed.class);
        if (declared == null && resource.getResourceClass() != null) {
            declared = resource.getResourceClass().getAnnotation(RolesAllowed.class);
        }
        String detail = declared == null ? "this key may not do this"
                : "this operation needs an API key with the scope '" + String.join("' or '", declared.value())
                        + "' (or admin)";
        return respond(403, "forbidden", "Forbidden", detail, request, null);
    }

    @ServerExceptionMapper
    public Response forbidden(Forbidden e, HttpServerRequest request) {
        return respond(403, "forbidden", "Forbidden", e.getMessage(), request, null);
    }

    @ServerExceptionMapper
    public Response webhookRejected(WebhookRejected e, HttpServerRequest request) {
        return respond(400, e.slug(), "Webhook rejected", e.getMessage(), request, null);
    }

    @ServerExceptionMapper
    public Response noSuchConversation(NoSuchConversationException e, HttpServerRequest request) {
        return respond(404, "not-found", "Not found", e.getMessage(), request, null);
    }

    @ServerExceptionMapper
    public Response unknownModel(UnknownModelException e, HttpServerRequest request) {
        return respond(400, "unknown-model", "Unknown model", e.getMessage(), request, null);
    }

    /** The tenant's allowlist leaves the model out: the detail names the models it may use. */
    @ServerExceptionMapper
    public Response modelNotAllowed(ModelNotAllowedException e, HttpServerRequest request) {
        return respond(400, "invalid-request", "Invalid request", e.getMessage(), request,
                List.of(new Problem.FieldError("model", e.getMessage())));
    }

    /** A tenant upstream's stored key does not decrypt: only that upstream's turns fail, before anything is stored. */
    @ServerExceptionMapper
    public Response upstreamKeyUnreadable(UpstreamKeyUnreadable e, HttpServerRequest request) {
        LOG.warnf("Request %s %s: %s", request.method(), request.path(), e.getMessage());
        return respond(502, "upstream-key-unreadable", "Upstream key unreadable", e.getMessage(), request, null);
    }

    @ServerExceptionMapper
    public Response encryptionNotConfigured(UpstreamKeyEncryption.NotConfigured e, HttpServerRequest request) {
        return respond(409, "encryption-not-configured", "Encryption not configured", e.getMessage(), request, null);
    }

    @ServerExceptionMapper
    public Response upstreamRefused(TenantUpstreams.Refused e, HttpServerRequest request) {
        return respond(409, "conflict", "Conflict", e.getMessage(), request, null);
    }

    @ServerExceptionMapper
    public Response upstreamFailed(UpstreamException e, HttpServerRequest request) {
        String errorId = UuidV7.next().toString();
        LOG.warnf("Request %s %s: upstream failed (error %s): %s", request.method(), request.path(), errorId,
                e.getMessage());
        return respond(502, "upstream-error", "Upstream failed", e.publicReason() + " (error id " + errorId + ")",
                request, null);
    }

    @ServerExceptionMapper
    public Response overloaded(StoreOverloadedException e, HttpServerRequest request) {
        return Response.fromResponse(respond(503, "overloaded", "Service overloaded", e.getMessage(), request, null))
                .header(HttpHeaders.RETRY_AFTER, e.retryAfterSeconds()).build();
    }

    /**
     * A limit refused the turn before anything was stored: 429 {@code rate-limited} (per minute, concurrency) or
     * {@code budget-exhausted} (the month's tokens), saying when to retry (RFC 9110 Retry-After, and the RateLimit
     * header fields of the IETF draft).
     */
    @ServerExceptionMapper
    public Response limitExceeded(LimitExceeded e, HttpServerRequest request) {
        long reset = Math.max(1, java.time.Duration.between(java.time.Instant.now(), e.resetAt()).toSeconds() + 1);
        boolean budget = e.kind() == LimitExceeded.Kind.MONTHLY_TOKEN_BUDGET;
        return Response.fromResponse(respond(429, budget ? "budget-exhausted" : "rate-limited",
                budget ? "Token budget exhausted" : "Rate limited", "the " + e.getMessage() + "; retry after "
                        + reset + " s", request, null))
                .header(HttpHeaders.RETRY_AFTER, reset)
                .header("RateLimit-Limit", e.limit())
                .header("RateLimit-Remaining", 0)
                .header("RateLimit-Reset", reset).build();
    }

    /** Every upstream for the model is at its connection limit and wait queue: refused before anything is stored. */
    @ServerExceptionMapper
    public Response upstreamsOverloaded(OverloadedException e, HttpServerRequest request) {
        return Response.fromResponse(respond(503, "overloaded", "Service overloaded", e.getMessage(), request, null))
                .header(HttpHeaders.RETRY_AFTER, 1).build();
    }

    @ServerExceptionMapper
    public Response shuttingDown(ShuttingDownException e, HttpServerRequest request) {
        return Response.fromResponse(respond(503, "shutting-down", "Service shutting down", e.getMessage(), request,
                null)).header(HttpHeaders.RETRY_AFTER, 1).build();
    }

    @ServerExceptionMapper
    public Response invalid(RequestConstraints.Invalid e, HttpServerRequest request) {
        List<Problem.FieldError> errors = e.errors().stream()
                .sorted(Comparator.comparing(Problem.FieldError::field))
                .toList();
        String detail = errors.stream().map(f -> f.field() + " " + f.message()).reduce((a, b) -> a + "; " + b)
                .orElse("request is invalid");
        return respond(400, "invalid-request", "Invalid request", detail, request, errors);
    }

    /**
     * Jackson's exceptions by their exact types: Quarkus REST maps these itself (an empty 400), and an exact match
     * wins over a mapper of their common supertype.
     */
    @ServerExceptionMapper({ com.fasterxml.jackson.databind.exc.MismatchedInputException.class,
            com.fasterxml.jackson.databind.exc.InvalidFormatException.class,
            com.fasterxml.jackson.databind.exc.ValueInstantiationException.class,
            com.fasterxml.jackson.databind.exc.InvalidTypeIdException.class,
            com.fasterxml.jackson.databind.JsonMappingException.class,
            com.fasterxml.jackson.core.JsonParseException.class,
            com.fasterxml.jackson.core.io.JsonEOFException.class,
            com.fasterxml.jackson.core.exc.StreamConstraintsException.class })
    public Response jacksonFailed(JsonProcessingException e, HttpServerRequest request) {
        return malformedJson(e, request);
    }

    @ServerExceptionMapper
    public Response malformedJson(JsonProcessingException e, HttpServerRequest request) {
        if (e instanceof JsonMapping.UnstorableText text) {
            String field = field(text);
            return respond(400, "invalid-request", "Invalid request", field + " " + text.getOriginalMessage(),
                    request, List.of(new Problem.FieldError(field, text.getOriginalMessage())));
        }
        if (e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException m && m.getTargetType() != null) {
            String field = field(m);
            String message = "must be " + jsonType(m.getTargetType());
            return respond(400, "malformed-json", "Malformed JSON body", field + " " + message, request,
                    List.of(new Problem.FieldError(field, message)));
        }
        // Jackson's own words, without the Java class names they may carry
        String detail = e.getOriginalMessage() == null ? "malformed JSON" : e.getOriginalMessage().lines().findFirst()
                .orElse("malformed JSON").replaceAll("`[\\w.$]+`", "a value");
        return respond(400, "malformed-json", "Malformed JSON body", detail, request, null);
    }

    /** Where in the body a Jackson failure is, as a client names it: {@code messages[2].content}. */
    private static String field(com.fasterxml.jackson.databind.JsonMappingException e) {
        return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b).orElse("the body");
    }

    private static String jsonType(Class<?> type) {
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
            return "a number";
        }
        if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        if (type == java.time.Instant.class) {
            return "an ISO-8601 instant such as 2027-01-01T00:00:00Z";
        }
        return "a JSON object";
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e, HttpServerRequest request) {
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            LOG.errorf(e, "Request %s %s failed", request.method(), request.path());
        }
        if (e.getCause() instanceof JsonProcessingException json) {
            return malformedJson(json, request);
        }
        Response.StatusType type = Response.Status.fromStatusCode(status);
        String title = type == null ? "HTTP " + status : type.getReasonPhrase();
        String slug = title.toLowerCase().replaceAll("[^a-z0-9]+", "-");
        return respond(status, slug, title, status >= 500 ? "internal error" : e.getMessage(), request, null);
    }

    /**
     * A body sent without Content-Length (chunked) ran past the HTTP server's own limit, which follows
     * {@code PARLEY_MAX_BODY_SIZE}: the server has already answered 413 and closed the connection.
     */
    @ServerExceptionMapper
    public Response bodyReadFailed(java.io.IOException e, HttpServerRequest request) {
        if (String.valueOf(e.getMessage()).contains("Request too large") || request.response().ended()) {
            LOG.debugf("Request %s %s: body over the limit, answered 413 by the HTTP server", request.method(),
                    request.path());
            return Response.status(413).build();
        }
        return unexpected(e, request);
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
    public Response unexpected(Throwable e, HttpServerRequest request) {
        String errorId = UuidV7.next().toString();
        LOG.errorf(e, "Request %s %s failed (error %s)", request.method(), request.path(), errorId);
        return respond(500, "internal-error", "Internal error",
                "the request failed unexpectedly; the server log has the details under error id " + errorId, request,
                null);
    }

    static Response respond(int status, String slug, String title, String detail, HttpServerRequest request,
            List<Problem.FieldError> errors) {
        Problem body = new Problem(Problem.TYPE_PREFIX + slug, title, status, detail,
                request == null ? null : request.path(), errors);
        return Response.status(status).type(Problem.MEDIA_TYPE).entity(body).build();
    }
}
