package dev.parley.testing;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An in-process OpenAI-compatible upstream for tests. It streams {@code tokens} chunks ("t0 ", "t1 ", ...) with
 * {@code delayMs} between them, and can answer an error status, or break the connection after some tokens. Two
 * instances are started, so that round-robin and failover can be observed.
 */
public final class FakeUpstream {

    public static final String MODEL = "fake-model";
    /** Served by the first fake only. */
    public static final String SOLO_MODEL = "solo-model";

    /** Behaviour shared by both instances; tests set it and {@link #reset()} restores the defaults. */
    public static volatile int tokens;
    public static volatile long delayMs;
    public static volatile int breakAfterTokens;
    /** Non-null: stream this text instead of "t0 t1 ...", one word (with the space after it) per chunk. */
    public static volatile String reply;
    /**
     * Non-null: stream exactly these chunks, each given as the JSON string literal's inside as it goes on the wire
     * (so a test can send escapes a JSON library would not write, such as a lone surrogate {@code \ud800}).
     */
    public static volatile List<String> rawChunks;

    public static final FakeUpstream FIRST = new FakeUpstream("first");
    public static final FakeUpstream SECOND = new FakeUpstream("second");
    /**
     * Not one of Parley's configured upstreams: the one tests register as a tenant's own. It answers 401 to a request
     * whose {@code Authorization} is not {@code Bearer} {@link #requiredKey} (when set), as a real upstream would.
     */
    public static final FakeUpstream TENANT = new FakeUpstream("tenant");

    private static Vertx vertx;

    public final String name;
    /** Non-zero: answer every request with this status. */
    public volatile int failStatus;
    /** Requests to drop by closing the connection without any answer, like a server closing an idle connection. */
    public final AtomicInteger dropNext = new AtomicInteger();
    public final List<JsonObject> requests = new CopyOnWriteArrayList<>();
    public final AtomicInteger completed = new AtomicInteger();
    /** Streams whose client (Parley) went away before the end. */
    public final AtomicInteger abandoned = new AtomicInteger();
    /** The {@code Authorization} header of each chat request, in order ("" when none was sent). */
    public final List<String> authorizations = new CopyOnWriteArrayList<>();
    /** Non-null: the only API key accepted; any other gets 401. */
    public volatile String requiredKey;
    /** What {@code GET /models} reports. */
    public volatile List<String> reportedModels = List.of();
    /** Non-zero: answer {@code GET /models} with this status. */
    public volatile int modelsFailStatus;
    private int port;

    static {
        reset();
    }

    private FakeUpstream(String name) {
        this.name = name;
    }

    public static void reset() {
        tokens = 5;
        delayMs = 5;
        breakAfterTokens = -1;
        reply = null;
        rawChunks = null;
        for (FakeUpstream f : new FakeUpstream[] { FIRST, SECOND, TENANT }) {
            if (f != null) {
                f.authorizations.clear();
                f.requiredKey = null;
                f.reportedModels = f == FIRST ? List.of(MODEL, SOLO_MODEL) : List.of(MODEL);
                f.modelsFailStatus = 0;
                f.failStatus = 0;
                f.dropNext.set(0);
                f.requests.clear();
                f.completed.set(0);
                f.abandoned.set(0);
            }
        }
    }

    public static String expectedText(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("t").append(i).append(' ');
        }
        return sb.toString();
    }

    public static int totalAbandoned() {
        return FIRST.abandoned.get() + SECOND.abandoned.get();
    }

    public static List<JsonObject> allRequests() {
        List<JsonObject> all = new java.util.ArrayList<>(FIRST.requests);
        all.addAll(SECOND.requests);
        return all;
    }

    /**
     * Starts both fakes (once per JVM) and returns the environment that points a packaged Parley process
     * ({@link ParleyProcess}) at them: {@code PARLEY_UPSTREAM_1_URL} and so on.
     */
    public static Map<String, String> processEnvironment() {
        Map<String, String> env = new java.util.HashMap<>();
        new Resource().start().forEach((key, value) -> env.put(key.toUpperCase().replace('.', '_').replace('-', '_'),
                value));
        return env;
    }

    /** The base URL to configure, e.g. {@code http://127.0.0.1:1234/v1}; starts the fakes if needed. */
    public String baseUrl() {
        new Resource().start();
        return "http://127.0.0.1:" + port + "/v1";
    }

    private synchronized void start() throws Exception {
        if (port != 0) {
            return;
        }
        HttpServer server = vertx.createHttpServer().requestHandler(this::handle);
        port = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)
                .actualPort();
    }

    private void handle(HttpServerRequest request) {
        if (request.path().endsWith("/models") && request.method().name().equals("GET")) {
            String key = requiredKey;
            int status = modelsFailStatus != 0 ? modelsFailStatus
                    : key != null && !("Bearer " + key).equals(request.getHeader("Authorization")) ? 401 : 0;
            if (status != 0) {
                request.response().setStatusCode(status).end();
                return;
            }
            JsonArray data = new JsonArray();
            reportedModels.forEach(m -> data.add(new JsonObject().put("id", m).put("object", "model")));
            request.response().putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("object", "list").put("data", data).encode());
            return;
        }
        if (!request.path().endsWith("/chat/completions")) {
            request.response().setStatusCode(404).end();
            return;
        }
        String authorization = request.getHeader("Authorization");
        request.body().onSuccess(buffer -> {
            JsonObject body = buffer.toJsonObject();
            requests.add(body);
            authorizations.add(authorization == null ? "" : authorization);
            HttpServerResponse response = request.response();
            String required = requiredKey;
            if (required != null && !("Bearer " + required).equals(authorization)) {
                response.setStatusCode(401).putHeader("Content-Type", "application/json")
                        .end(new JsonObject().put("error", new JsonObject().put("message", "fake " + name
                                + ": wrong API key")).encode());
                return;
            }
            if (dropNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                request.connection().close();
                return;
            }
            if (failStatus != 0) {
                response.setStatusCode(failStatus).putHeader("Content-Type", "application/json")
                        .end(new JsonObject().put("error", new JsonObject().put("message", "fake " + name
                                + " is down")).encode());
                return;
            }
            String text = reply;
            List<String> raw = rawChunks;
            List<String> chunks = text == null ? raw : List.of(text.split("(?<=\\s)(?=\\S)"));
            int n = chunks == null ? tokens : chunks.size();
            int breakAfter = breakAfterTokens;
            if (!body.getBoolean("stream", false)) {
                response.putHeader("Content-Type", "application/json").end(new JsonObject()
                        .put("choices", new JsonArray().add(new JsonObject().put("message", new JsonObject()
                                .put("role", "assistant").put("content", text == null ? expectedText(n) : text))
                                .put("finish_reason", "stop")))
                        .encode());
                return;
            }
            response.setChunked(true).putHeader("Content-Type", "text/event-stream");
            AtomicInteger sent = new AtomicInteger();
            boolean[] done = { false };
            response.closeHandler(v -> {
                if (!done[0]) {
                    abandoned.incrementAndGet();
                }
            });
            long[] timer = { 0 };
            timer[0] = vertx.setPeriodic(Math.max(1, delayMs), id -> {
                if (response.closed()) {
                    vertx.cancelTimer(id);
                    return;
                }
                int i = sent.getAndIncrement();
                if (breakAfter >= 0 && i == breakAfter) {
                    vertx.cancelTimer(id);
                    done[0] = true;
                    request.connection().close();
                    return;
                }
                if (i < n && raw != null) {
                    response.write("data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                            + "\"delta\":{\"content\":\"" + raw.get(i) + "\"},\"finish_reason\":null}]}\n\n");
                    return;
                }
                if (i < n) {
                    response.write(data(chunk(new JsonObject().put("content", chunks == null ? "t" + i + " "
                            : chunks.get(i)), null)));
                    return;
                }
                vertx.cancelTimer(id);
                done[0] = true;
                response.write(data(chunk(new JsonObject(), "stop")));
                response.write(data(new JsonObject().put("choices", new JsonArray()).put("usage", new JsonObject()
                        .put("prompt_tokens", 11).put("completion_tokens", n).put("total_tokens", 11 + n))));
                completed.incrementAndGet(); // counted before the end is sent, so never after the client sees it
                response.end("data: [DONE]\n\n");
            });
        });
    }

    private static JsonObject chunk(JsonObject delta, String finishReason) {
        return new JsonObject().put("object", "chat.completion.chunk").put("choices", new JsonArray()
                .add(new JsonObject().put("index", 0).put("delta", delta).put("finish_reason", finishReason)));
    }

    private static String data(JsonObject json) {
        return "data: " + json.encode() + "\n\n";
    }

    /** Starts both fake upstreams (once per JVM) and points Parley's upstream 1 and 2 at them. */
    public static class Resource implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try {
                synchronized (FakeUpstream.class) {
                    if (vertx == null) {
                        vertx = Vertx.vertx();
                    }
                }
                FIRST.start();
                SECOND.start();
                TENANT.start();
            } catch (Exception e) {
                throw new IllegalStateException("cannot start fake upstreams", e);
            }
            return Map.of(
                    "parley.upstream.1.url", "http://127.0.0.1:" + FIRST.port + "/v1",
                    "parley.upstream.1.name", "fake-first",
                    "parley.upstream.1.models", MODEL + "," + SOLO_MODEL,
                    "parley.upstream.1.api-key", "upstream-secret",
                    "parley.upstream.2.url", "http://127.0.0.1:" + SECOND.port + "/v1",
                    "parley.upstream.2.name", "fake-second",
                    "parley.upstream.2.models", MODEL);
        }

        @Override
        public void stop() {
            // shared by every test profile of this JVM; Vert.x threads are daemons
        }
    }
}
