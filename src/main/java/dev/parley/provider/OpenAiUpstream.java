package dev.parley.provider;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.parley.store.StorableText;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ConnectionPoolTooBusyException;
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
    /** What it serves: the configured names, or those its own {@code GET /models} last reported. */
    private volatile Set<String> models;
    /** Takes any model name: only when configured so explicitly ({@code *}). */
    private final boolean anyModel;
    /** Learns its models from {@code GET /models}: nothing configured. */
    private final boolean discovers;
    private final Duration idleTimeout;
    private final Pool pool;
    /** Requests from asking for a connection to their end: in the pool's wait queue or holding a connection. */
    private final AtomicInteger pending = new AtomicInteger();

    /**
     * The shared clients (one per event loop), how many requests one upstream may have pending (its connections plus
     * its wait queue), and how long a request waits for a connection.
     */
    record Pool(UpstreamClients clients, int capacity, Duration waitTimeout) {
    }

    /**
     * An upstream serving {@code models}; with none, the models it reports on {@code GET /models} (see
     * {@link #refreshModels}); with {@code anyModel}, any name.
     */
    OpenAiUpstream(String name, String baseUrl, String apiKey, Set<String> models, boolean anyModel,
            Duration idleTimeout, Pool pool) {
        this.name = name;
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.apiKey = apiKey;
        this.models = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(models));
        this.anyModel = anyModel;
        this.discovers = models.isEmpty() && !anyModel;
        this.idleTimeout = idleTimeout;
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

    /** The models it serves (none listed for one that takes any name). */
    @Override
    public Set<String> models() {
        return models;
    }

    @Override
    public boolean serves(String model) {
        return anyModel || models.contains(model);
    }

    boolean discovers() {
        return discovers;
    }

    /** The longest a {@code GET /models} may go without a byte of its answer. */
    static final Duration MODELS_SILENCE = Duration.ofSeconds(10);

    /**
     * Asks the upstream which models it serves ({@code GET <base URL>/models}, OpenAI's list format) and serves
     * exactly those from now on. A failed refresh keeps the previous list (empty before the first success: an
     * upstream that cannot say what it serves serves nothing). A list is a short answer: the request fails after
     * {@link #MODELS_SILENCE} without a byte (or the upstream's own timeout, if shorter), so that a refresh never waits
     * as long as a reply may.
     */
    io.smallrye.mutiny.Uni<Set<String>> refreshModels() {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(baseUrl + "/models")
                .setIdleTimeout(Math.min(idleTimeout.toMillis(), MODELS_SILENCE.toMillis()))
                .setConnectTimeout(pool.waitTimeout().toMillis())
                .putHeader("Accept", "application/json");
        if (apiKey != null && !apiKey.isBlank()) {
            options.putHeader("Authorization", "Bearer " + apiKey);
        }
        return io.smallrye.mutiny.Uni.createFrom().completionStage(() -> pool.clients().current().request(options)
                .compose(req -> req.send())
                .compose(response -> response.body().map(body -> {
                    if (response.statusCode() / 100 != 2) {
                        throw new UpstreamException(name, response.statusCode(), "upstream " + name + " answered "
                                + response.statusCode() + " to GET /models: " + errorMessage(body));
                    }
                    return reported(body);
                })).toCompletionStage())
                .invoke(found -> models = found);
    }

    private Set<String> reported(Buffer body) {
        Set<String> found = new java.util.LinkedHashSet<>();
        try {
            JsonNode data = UPSTREAM_JSON.readTree(body.getBytes()).path("data");
            for (JsonNode m : data) {
                if (m.path("id").isTextual() && !m.path("id").textValue().isBlank()) {
                    found.add(m.path("id").textValue());
                }
            }
        } catch (IOException e) {
            throw new UpstreamException(name, 0, "upstream " + name + " answered GET /models with malformed JSON");
        }
        return java.util.Collections.unmodifiableSet(found);
    }

    @Override
    public Multi<ProviderChunk> stream(ProviderRequest request) {
        // no buffer of its own: its one subscriber, the turn, takes every chunk as it comes (requests are unbounded)
        return Multi.createFrom().emitter(emitter -> start(request, emitter), BackPressureStrategy.IGNORE);
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
        pool.clients().current().request(options).onSuccess(req -> {
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

    /**
     * One chunk of the upstream's stream: OpenAI's {@code chat.completion.chunk}, of which Parley reads
     * {@code choices[0].delta.content}, {@code choices[0].finish_reason}, {@code usage} and {@code error} (any chunk
     * with an {@code error} field fails the stream). Read with Jackson's streaming parser, skipping the rest, since
     * this runs once per token: building a tree of every chunk was 8 % of Parley's profile samples at 500 streams.
     */
    static Chunk parseChunk(String data) throws IOException {
        Chunk chunk = new Chunk();
        try (JsonParser p = UPSTREAM_JSON.getFactory().createParser(data)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return chunk; // valid JSON that is not a chunk: nothing in it
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "error" -> {
                        chunk.error = true;
                        p.skipChildren();
                    }
                    case "choices" -> {
                        chunk.choiceSeen = false; // a repeated field: the last one counts, as in a tree
                        chunk.text = null;
                        chunk.finishReason = null;
                        if (value == JsonToken.START_ARRAY) {
                            JsonToken t = p.nextToken();
                            if (t == JsonToken.START_OBJECT) {
                                chunk.choice(p);
                                t = p.currentToken();
                            }
                            while (t != null && t != JsonToken.END_ARRAY) {
                                p.skipChildren(); // the other choices
                                t = p.nextToken();
                            }
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "usage" -> {
                        if (value == JsonToken.START_OBJECT) {
                            chunk.usage(p);
                        } else {
                            chunk.usage = false;
                            p.skipChildren();
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        }
        return chunk;
    }

    /**
     * What a chunk says: {@code text} (null or empty for none) and {@code finishReason} only when {@code choiceSeen}
     * (its first choice is an object), the counts only when {@code usage} (0 for any not given).
     */
    static final class Chunk {
        boolean error;
        boolean choiceSeen;
        String text;
        String finishReason;
        boolean usage;
        int promptTokens;
        int completionTokens;

        /**
         * {@code choices[0]}, the parser on its START_OBJECT (text and finish reason already cleared); leaves it past
         * the matching END_OBJECT.
         */
        private void choice(JsonParser p) throws IOException {
            choiceSeen = true;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if ("delta".equals(field)) {
                    text = null; // a repeated field: the last one counts
                    if (value == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String name = p.currentName();
                            JsonToken v = p.nextToken();
                            if ("content".equals(name)) {
                                text = v == JsonToken.VALUE_STRING ? p.getText() : null;
                            }
                            p.skipChildren();
                        }
                    } else {
                        p.skipChildren();
                    }
                } else if ("finish_reason".equals(field)) {
                    finishReason = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    p.skipChildren();
                } else {
                    p.skipChildren();
                }
            }
            p.nextToken(); // past the choice's END_OBJECT
        }

        /** {@code usage}, the parser on its START_OBJECT; counts that are not numbers read as JsonNode.asInt(0) would. */
        private void usage(JsonParser p) throws IOException {
            usage = true;
            promptTokens = 0;
            completionTokens = 0;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if ("prompt_tokens".equals(field)) {
                    promptTokens = count(p);
                } else if ("completion_tokens".equals(field)) {
                    completionTokens = count(p);
                }
                p.skipChildren();
            }
        }
    }

    /** A count as {@code JsonNode.asInt(0)} reads it: numbers cut to int, numeric text parsed, anything else 0. */
    private static int count(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case VALUE_NUMBER_INT -> p.getNumberValue().intValue();
            case VALUE_NUMBER_FLOAT -> (int) p.getDoubleValue();
            default -> p.getValueAsInt(0);
        };
    }

    private void emitChunk(String data, MultiEmitter<? super ProviderChunk> emitter, AtomicBoolean finished) {
        Chunk chunk;
        try {
            chunk = parseChunk(data);
        } catch (IOException e) {
            fail(emitter, finished, new UpstreamException(name, 0, "upstream " + name + " sent a malformed chunk"));
            return;
        }
        if (chunk.error) {
            fail(emitter, finished, new UpstreamException(name, 0, "upstream " + name + " failed mid-stream: "
                    + errorMessage(Buffer.buffer(data))));
            return;
        }
        if (chunk.choiceSeen) {
            if (chunk.text != null && !chunk.text.isEmpty()) {
                // a reply is stored as sent, except what no database stores: NUL and unpaired surrogates
                emitter.emit(new ProviderChunk.Text(StorableText.sanitize(chunk.text)));
            }
            if (chunk.finishReason != null) {
                emitter.emit(new ProviderChunk.Finished(chunk.finishReason));
            }
        }
        if (chunk.usage) {
            emitter.emit(new ProviderChunk.Usage(chunk.promptTokens, chunk.completionTokens));
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
