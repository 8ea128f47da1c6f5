package dev.parley.api;

import java.util.Comparator;
import java.util.List;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonProcessingException;

import dev.parley.auth.Forbidden;
import dev.parley.auth.Unauthenticated;
import dev.parley.chat.ShuttingDownException;
import dev.parley.provider.UpstreamException;
import dev.parley.provider.UnknownModelException;
import dev.parley.store.NoSuchConversationException;
import dev.parley.store.StoreOverloadedException;
import io.vertx.core.http.HttpServerRequest;

/** The one place where failures become HTTP answers: always {@code application/problem+json}, never a stack trace. */
public class ProblemMapper {

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @ServerExceptionMapper
    public Response apiProblem(ApiProblem e, HttpServerRequest request) {
        return respond(e.status(), e.slug(), e.title(), e.getMessage(), request, null);
    }

    @ServerExceptionMapper
    public Response unauthenticated(Unauthenticated e, HttpServerRequest request) {
        return Response.fromResponse(respond(401, "unauthenticated", "Unauthenticated", e.getMessage()
                + "; send 'Authorization: Bearer <api key>'", request, null))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"parley\"").build();
    }

    @ServerExceptionMapper
    public Response forbidden(Forbidden e, HttpServerRequest request) {
        return respond(403, "forbidden", "Forbidden", e.getMessage(), request, null);
    }

    @ServerExceptionMapper
    public Response noSuchConversation(NoSuchConversationException e, HttpServerRequest request) {
        return respond(404, "not-found", "Not found", e.getMessage(), request, null);
    }

    @ServerExceptionMapper
    public Response unknownModel(UnknownModelException e, HttpServerRequest request) {
        return respond(400, "unknown-model", "Unknown model", e.getMessage(), request, null);
    }

    @ServerExceptionMapper
    public Response upstreamFailed(UpstreamException e, HttpServerRequest request) {
        return respond(502, "upstream-error", "Upstream failed", e.getMessage(), request, null);
    }

    @ServerExceptionMapper
    public Response overloaded(StoreOverloadedException e, HttpServerRequest request) {
        return Response.fromResponse(respond(503, "overloaded", "Service overloaded", e.getMessage(), request, null))
                .header(HttpHeaders.RETRY_AFTER, e.retryAfterSeconds()).build();
    }

    @ServerExceptionMapper
    public Response shuttingDown(ShuttingDownException e, HttpServerRequest request) {
        return Response.fromResponse(respond(503, "shutting-down", "Service shutting down", e.getMessage(), request,
                null)).header(HttpHeaders.RETRY_AFTER, 1).build();
    }

    @ServerExceptionMapper
    public Response invalid(ConstraintViolationException e, HttpServerRequest request) {
        List<Problem.FieldError> errors = e.getConstraintViolations().stream()
                .map(v -> new Problem.FieldError(field(v), v.getMessage()))
                .sorted(Comparator.comparing(Problem.FieldError::field))
                .toList();
        String detail = errors.stream().map(f -> f.field() + " " + f.message()).reduce((a, b) -> a + "; " + b)
                .orElse("request is invalid");
        return respond(400, "invalid-request", "Invalid request", detail, request, errors);
    }

    @ServerExceptionMapper
    public Response malformedJson(JsonProcessingException e, HttpServerRequest request) {
        String detail = e.getOriginalMessage() == null ? "malformed JSON" : e.getOriginalMessage().lines().findFirst()
                .orElse("malformed JSON");
        return respond(400, "malformed-json", "Malformed JSON body", detail, request, null);
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

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
    public Response unexpected(Throwable e, HttpServerRequest request) {
        LOG.errorf(e, "Request %s %s failed", request.method(), request.path());
        return respond(500, "internal-error", "Internal error",
                "the request failed unexpectedly; the server log has the details", request, null);
    }

    static Response respond(int status, String slug, String title, String detail, HttpServerRequest request,
            List<Problem.FieldError> errors) {
        Problem body = new Problem(Problem.TYPE_PREFIX + slug, title, status, detail,
                request == null ? null : request.path(), errors);
        return Response.status(status).type(Problem.MEDIA_TYPE).entity(body).build();
    }

    private static String field(ConstraintViolation<?> v) {
        String path = v.getPropertyPath().toString();
        // "create.body.title" -> "title": clients know fields, not Java method names
        int dot = path.lastIndexOf('.');
        return dot < 0 ? path : path.substring(dot + 1);
    }
}
