package dev.parley.provider;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.parley.store.StorableText;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Client of one OpenAI-compatible {@code /chat/completions} endpoint. It always asks the upstream to stream (with
 * usage), whether Parley's own client wants a stream or not: one code path for timeouts, cancellation and partial
 * replies. Cancelling the returned stream resets the upstream request, so an abandoned chat costs the upstream
 * nothing more.
 */
final class OpenAiUpstream implements ChatProvider {

    private static final Logger LOG = Logger.getLogger(OpenAiUpstream.class);

    private final String name;
    private final String baseUrl;
    private final String apiKey;
    private final Set<String> models;
    private final Duration idleTimeout;
    private final HttpClient client;
    private final Pool pool;
    /** Requests from asking for a connection to their end: in the pool's wait queue or holding a connection. */
    private final AtomicInteger pending = new AtomicInteger();

    /**
     * The shared client, how many requests one upstream may have pending (its connections plus its wait queue), and
     * how long a request waits for a connection.
     */
    record Pool(HttpClient client, int capacity, Duration waitTimeout) {
    }

    OpenAiUpstream(String name, String baseUrl, String apiKey, Set<String> models, Duration idleTimeout, Pool pool) {
        this.name = name;
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.apiKey = apiKey;
        this.models = models;
        this.idleTimeout = idleTimeout;
        this.client = pool.client();
        this.pool = pool;
    }

    @Override
    public boolean saturated() {
        return pending.get() >= pool.capacity();
    }

    @Override
    public String name() {
        return name;
    }

    /** Explicitly listed models; empty means the upstream takes any model name. */
    @Override
    public Set<String> models() {
        return models;
    }

    @Override
    public boolean serves(String model) {
        return models.isEmpty() || models.contains(model);
    }

    @Override
    public Multi<ProviderChunk> stream(ProviderRequest request) {
        return Multi.createFrom().emitter(emitter -> start(request, emitter));
    }

    private void start(ProviderRequest request, MultiEmitter<? super ProviderChunk> emitter) {
        JsonArray messages = new JsonArray();
        request.messages().forEach(m -> messages.add(new JsonObject().put("role", m.role()).put("content",
                m.content())));
        JsonObject body = new JsonObject().put("model", request.model()).put("messages", messages)
                .put("stream", true).put("stream_options", new JsonObject().put("include_usage", true));
        if (request.maxTokens() != null) {
            body.put("max_tokens", request.maxTokens());
        }
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
                .setAbsoluteURI(baseUrl + "/chat/completions").setIdleTimeout(idleTimeout.toMillis())
                .setConnectTimeout(pool.waitTimeout().toMillis())
                .putHeader("Content-Type", "application/json").putHeader("Accept", "text/event-stream");
        if (apiKey != null && !apiKey.isBlank()) {
            options.putHeader("Authorization", "Bearer " + apiKey);
        }
        AtomicReference<HttpClientRequest> inFlight = new AtomicReference<>();
        AtomicBoolean finished = new AtomicBoolean();
        pending.incrementAndGet();
        emitter.onTermination(() -> {
            pending.decrementAndGet();
            HttpClientRequest r = inFlight.get();
            if (finished.compareAndSet(false, true) && r != null) {
                r.reset(); // cancelled by our client: stop the upstream generating for nobody
            }
        });
        client.request(options).onSuccess(req -> {
            inFlight.set(req);
            if (finished.get()) {
                req.reset();
                return;
            }
            req.send(Buffer.buffer(body.encode())).onSuccess(response -> {
                if (response.statusCode() / 100 != 2) {
                    response.body().onComplete(b -> fail(emitter, finished, new UpstreamException(name,
                            response.statusCode(), "upstream " + name + " answered " + response.statusCode() + ": "
                                    + errorMessage(b.succeeded() ? b.result() : null))));
                    return;
                }
                SseLines lines = new SseLines();
                response.handler(buffer -> {
                    for (String data : lines.feed(buffer.getBytes())) {
                        if (!finished.get() && !data.isBlank() && !"[DONE]".equals(data.trim())) {
                            emitChunk(data, emitter, finished);
                        }
                    }
                });
                response.exceptionHandler(e -> fail(emitter, finished, failure(e)));
                response.endHandler(v -> {
                    if (finished.compareAndSet(false, true)) {
                        emitter.complete();
                    }
                });
            }).onFailure(e -> fail(emitter, finished, failure(e)));
        }).onFailure(e -> fail(emitter, finished, failure(e)));
    }

    /**
     * Parses the upstream's JSON with a mapper of its own: the application's mapper refuses request text that no
     * database stores, while an upstream's text is taken and sanitized ({@link StorableText#sanitize}).
     */
    private static final ObjectMapper UPSTREAM_JSON = new ObjectMapper();

    private void emitChunk(String data, MultiEmitter<? super ProviderChunk> emitter, AtomicBoolean finished) {
        JsonNode chunk;
        try {
            chunk = UPSTREAM_JSON.readTree(data);
        } catch (IOException e) {
            fail(emitter, finished, new UpstreamException(name, 0, "upstream " + name + " sent a malformed chunk"));
            return;
        }
        if (chunk.has("error")) {
            fail(emitter, finished, new UpstreamException(name, 0, "upstream " + name + " failed mid-stream: "
                    + errorMessage(Buffer.buffer(data))));
            return;
        }
        JsonNode choice = chunk.path("choices").path(0);
        if (choice.isObject()) {
            JsonNode text = choice.path("delta").path("content");
            if (text.isTextual() && !text.textValue().isEmpty()) {
                // a reply is stored as sent, except what no database stores: NUL and unpaired surrogates
                emitter.emit(new ProviderChunk.Text(StorableText.sanitize(text.textValue())));
            }
            JsonNode reason = choice.path("finish_reason");
            if (reason.isTextual()) {
                emitter.emit(new ProviderChunk.Finished(reason.textValue()));
            }
        }
        JsonNode usage = chunk.path("usage");
        if (usage.isObject()) {
            emitter.emit(new ProviderChunk.Usage(usage.path("prompt_tokens").asInt(0),
                    usage.path("completion_tokens").asInt(0)));
        }
    }

    private static void fail(MultiEmitter<?> emitter, AtomicBoolean finished, Throwable e) {
        if (finished.compareAndSet(false, true)) {
            emitter.fail(e);
        }
    }

    private UpstreamException failure(Throwable e) {
        if (e instanceof UpstreamException p) {
            return p;
        }
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof ConnectionPoolTooBusyException || why.contains("when getting a connection")) {
            LOG.debugf("upstream %s has no connection to spare: %s", name, why);
            return new UpstreamBusyException(name, "upstream " + name + " has no connection to spare: " + why);
        }
        LOG.debugf("upstream %s failed: %s", name, why);
        return new UpstreamException(name, 0, "upstream " + name + " (" + withoutCredentials(baseUrl) + ") failed: "
                + why);
    }

    /** A URL as logs may show it: without any {@code user:password@}. */
    static String withoutCredentials(String url) {
        return url.replaceFirst("^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@", "$1");
    }

    private static String errorMessage(Buffer body) {
        if (body == null || body.length() == 0) {
            return "(no body)";
        }
        try {
            JsonNode error = UPSTREAM_JSON.readTree(body.getBytes()).path("error");
            if (error.path("message").isTextual()) {
                return error.path("message").textValue();
            }
            if (error.isTextual()) {
                return error.textValue();
            }
        } catch (IOException | RuntimeException ignored) {
            // not JSON: fall through to the raw text
        }
        String text = body.toString().strip();
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }
}
