/*
 * Streaming load generator for Parley, and its fake upstream. One command, no build step of its own:
 *
 *   java -cp "target/quarkus-app/lib/main/*" bench/StreamLoad.java --concurrency 100 [--backend postgres] [...]
 *
 * Both sides are non-blocking: the clients share one Vert.x event loop (no thread per stream), and the fake
 * OpenAI-compatible upstream, started as a second process of this same file ("upstream" as first argument), sends its
 * chunks from timers on one event loop of its own. In one run it measures:
 *   baseline: N clients stream straight from the fake upstream (what the machine, the upstream and this generator
 *             can do without Parley);
 *   parley:   the same N clients stream chat turns through the packaged Parley (SSE on /api, and/or /v1 with
 *             "stream": true) while one more client lists conversations every 50 ms;
 * with the CPU time Parley, the upstream and this generator used in the measured window, Parley's RSS, and afterwards
 * the stored messages counted through the API against the turns Parley acknowledged. One JSON document on stdout
 * (fields in bench/README.md).
 */

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

public class StreamLoad {

    static int concurrency = 100;
    static int seconds = 20;
    static int warmupSeconds = 15; // JIT: the first seconds of a fresh JVM are not representative
    static int tokens = 40;
    static int delayMs = 25;
    static int pacingMs = 0;
    static List<String> modes = List.of("api");
    static String backend = "sqlite";
    static String databaseUrl = null;
    static String pgAdminUrl = "postgresql://postgres@127.0.0.1:5432/postgres";
    static String jar = "target/quarkus-app/quarkus-run.jar";
    /** Parley's JVM options: by default the service's own (src/main/jvm/parley.options, as the README runs it). */
    static String parleyJavaOpts = "@" + Path.of("src/main/jvm/parley.options").toAbsolutePath();
    static List<String> parleyEnv = new ArrayList<>();
    static final String KEY = "bench-admin-key-0123456789";
    /** The PostgreSQL database under test, whose backends' CPU is counted. */
    static String databaseName;
    static final String SOURCE = "bench/StreamLoad.java";
    /** A turn that sends nothing for this long has failed ("timeout"); a whole drain longer than a minute too. */
    static final int IDLE_TIMEOUT_MS = 30_000;
    /**
     * The lister's event loop: {@code own} (a second Vert.x instance, one thread) or {@code shared} (the streams' loop,
     * as before 2026-12-07, where each list response waits behind the streams' chunks in the generator itself).
     */
    static String listLoop = "own";

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("upstream")) {
            FakeUpstream.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--concurrency" -> concurrency = Integer.parseInt(value);
                case "--seconds" -> seconds = Integer.parseInt(value);
                case "--warmup" -> warmupSeconds = Integer.parseInt(value);
                case "--tokens" -> tokens = Integer.parseInt(value);
                case "--delay-ms" -> delayMs = Integer.parseInt(value);
                case "--pacing-ms" -> pacingMs = Integer.parseInt(value);
                case "--modes" -> modes = List.of(value.split(","));
                case "--backend" -> backend = value;
                case "--database-url" -> databaseUrl = value;
                case "--pg-admin-url" -> pgAdminUrl = value;
                case "--jar" -> jar = value;
                case "--parley-java-opts" -> parleyJavaOpts = value;
                case "--parley-env" -> parleyEnv.add(value);
                case "--portkey-port" -> portkeyPort = Integer.parseInt(value);
                case "--list-loop" -> listLoop = value;
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (!listLoop.equals("own") && !listLoop.equals("shared")) {
            System.err.println("--list-loop takes own or shared, not " + listLoop);
            System.exit(2);
        }
        for (String mode : modes) {
            if (!mode.equals("api") && !mode.equals("v1")) {
                System.err.println("--modes takes api and/or v1, not " + mode);
                System.exit(2);
            }
        }
        JsonObject report = new JsonObject().put("backend", backend).put("concurrency", concurrency)
                .put("seconds", seconds).put("warmupSeconds", warmupSeconds).put("pacingMs", pacingMs)
                .put("upstream", new JsonObject().put("tokens", tokens).put("delayMs", delayMs))
                .put("loadAverageAtStart", loadAverage()).put("parleyJavaOpts", parleyJavaOpts);

        // One event loop for every client: the generator must cost less than what it measures.
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1));
        // The lister on a thread of its own: a person listing conversations is not queued behind 500 streams
        Vertx listVertx = listLoop.equals("own") ? Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1)
                .setWorkerPoolSize(1).setInternalBlockingPoolSize(1)) : vertx;
        Phase.listVertx = listVertx;
        Process upstreamProcess = startUpstream();
        int upstreamPort = readPort(upstreamProcess);
        upstreamPortForGateway = upstreamPort;
        Path dataDir = Files.createTempDirectory("parley-bench");
        String scratch = null;
        Process parley = null;
        try {
            Target upstreamTarget = new Target("baseline", "127.0.0.1", upstreamPort, null);
            report.put("baseline", new Phase(vertx, upstreamTarget, upstreamProcess.pid(), -1).run().toJson(false));
            if (portkeyPort > 0) {
                // the same clients through the Portkey gateway (bench/portkey/run.sh), a proxy that stores nothing
                Phase gateway = new Phase(vertx, new Target("portkey", "127.0.0.1", portkeyPort, null),
                        upstreamProcess.pid(), -1);
                JsonObject json = gateway.run().toJson(false);
                json.put("ratios", ratios(report.getJsonObject("baseline"), json));
                report.put("portkey", json);
            }

            String dbUrl = databaseUrl;
            if (dbUrl == null && backend.equals("postgres")) {
                scratch = "parley_bench_streams_" + Long.toHexString(System.nanoTime());
                admin("CREATE DATABASE " + scratch);
                URI a = URI.create(pgAdminUrl);
                dbUrl = a.getScheme() + "://" + (a.getRawUserInfo() == null ? "" : a.getRawUserInfo() + "@")
                        + a.getHost() + ":" + (a.getPort() < 0 ? 5432 : a.getPort()) + "/" + scratch;
            } else if (dbUrl == null) {
                dbUrl = "sqlite:" + dataDir.resolve("parley.db");
            }
            if (dbUrl.startsWith("postgres")) {
                databaseName = URI.create(dbUrl).getPath().substring(1);
            }
            int port = freePort();
            parley = startParley(dataDir, dbUrl, port, upstreamPort);
            awaitReady(vertx, port, parley, dataDir);
            JsonObject runs = new JsonObject();
            for (String mode : modes) {
                Target target = new Target(mode, "127.0.0.1", port, KEY);
                Phase phase = new Phase(vertx, target, upstreamProcess.pid(), parley.pid());
                phase.run();
                phase.countStored();
                JsonObject json = phase.toJson(true);
                JsonObject base = report.getJsonObject("baseline");
                json.put("ratios", ratios(base, json));
                runs.put(mode, json);
            }
            report.put("parley", runs);
            report.put("loadAverageAtEnd", loadAverage());
        } finally {
            if (parley != null) {
                parley.destroy();
                parley.waitFor(30, TimeUnit.SECONDS);
            }
            upstreamProcess.destroy();
            if (scratch != null) {
                admin("DROP DATABASE IF EXISTS " + scratch + " WITH (FORCE)");
            }
            vertx.close();
            if (listVertx != vertx) {
                listVertx.close();
            }
        }
        System.out.println(report.encodePrettily());
        System.exit(0);
    }

    static JsonObject ratios(JsonObject base, JsonObject run) {
        JsonObject bt = base.getJsonObject("ttftMs");
        JsonObject pt = run.getJsonObject("ttftMs");
        JsonObject ratios = new JsonObject()
                .put("streamsPerSecVsBaseline", round(run.getDouble("streamsPerSec") / base.getDouble("streamsPerSec"),
                        3))
                .put("ttftP50AddedMs", round(pt.getDouble("p50") - bt.getDouble("p50"), 2))
                .put("ttftP99AddedMs", round(pt.getDouble("p99") - bt.getDouble("p99"), 2));
        if (run.containsKey("parleyProcess")) { // the gateway's phase measures no Parley process
            ratios.put("generatorCpuVsParley", round(run.getJsonObject("generator").getDouble("cpuMs")
                    / run.getJsonObject("parleyProcess").getDouble("cpuMs"), 3));
        }
        return ratios;
    }

    // ---------------------------------------------------------------- one measured phase

    /** Where the clients stream from: the upstream itself, or Parley's /api (SSE) or /v1 (OpenAI chunks). */
    /** The port of a running Portkey gateway to measure as a third phase (0: none), and the upstream it proxies. */
    static int portkeyPort = 0;
    static int upstreamPortForGateway;

    record Target(String mode, String host, int port, String key) {
        boolean api() {
            return mode.equals("api");
        }
    }

    /** Growable list of longs, touched only on the event loop. */
    static final class Samples {
        long[] values = new long[1024];
        int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        double pct(double p) {
            if (size == 0) {
                return -1;
            }
            long[] sorted = Arrays.copyOf(values, size);
            Arrays.sort(sorted);
            int i = (int) Math.ceil(p / 100.0 * size) - 1;
            return sorted[Math.max(0, Math.min(i, size - 1))] / 1000.0;
        }
    }

    /**
     * N clients, each a chain of turns on the event loop: a warm-up, then the measured window (new turns start
     * until it closes; turns in flight then finish and are checked, not counted in the rate), then the drain.
     */
    static final class Phase {
        final Vertx vertx;
        final Target target;
        final long upstreamPid;
        final long parleyPid;
        final HttpClient streams;
        final HttpClient side; // the lister and the final count: never queued behind the streams' pool
        final List<Client> conversations = new ArrayList<>(); // the clients that have one, in creation order
        final Map<String, Long> errors = new TreeMap<>();
        final Map<String, Long> warmupErrors = new TreeMap<>();
        final Samples ttft = new Samples();
        /** Touched only on the lister's loop while it runs; read once {@link #listed} is complete. */
        final Samples list = new Samples();
        final CompletableFuture<Void> listed = new CompletableFuture<>();
        volatile boolean listing;
        static Vertx listVertx;
        HttpClient lister;
        boolean measuring;
        boolean stopping;
        long windowStart;
        long windowEnd;
        long completedInWindow;
        long turnsStartedInWindow;
        long acknowledged; // turns whose user message Parley stored (message.start on /api, a 200 on /v1)
        long completedTotal;
        long stored = -1;
        long lost;
        long storedUnacknowledged;
        int clientsRunning;
        long[] cpuStart;
        long[] cpuEnd;
        long parleyRssKb = -1;
        long generatorRssKb = -1;
        Promise<Void> done;

        Phase(Vertx vertx, Target target, long upstreamPid, long parleyPid) {
            this.vertx = vertx;
            this.target = target;
            this.upstreamPid = upstreamPid;
            this.parleyPid = parleyPid;
            this.streams = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                    .setConnectTimeout(10_000).setIdleTimeout(0),
                    new PoolOptions().setHttp1MaxSize(concurrency + 8).setMaxWaitQueueSize(-1));
            this.side = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                    new PoolOptions().setHttp1MaxSize(8));
        }

        Phase run() throws Exception {
            CompletableFuture<Void> finished = new CompletableFuture<>();
            vertx.runOnContext(v -> {
                done = Promise.promise();
                done.future().onComplete(ar -> finished.complete(null));
                clientsRunning = concurrency;
                // the clients start spread over the first second of the warm-up, not as one burst of connects
                for (int i = 0; i < concurrency; i++) {
                    Client c = new Client();
                    vertx.setTimer(1 + i * 1000L / concurrency, t -> {
                        if (target.api()) {
                            createConversation(c);
                        } else {
                            nextTurn(c);
                        }
                    });
                }
                vertx.setTimer(warmupSeconds * 1000L, t -> {
                    windowStart = System.nanoTime();
                    cpuStart = cpuNow();
                    measuring = true;
                    if (target.key() != null) {
                        listing = true;
                        listVertx.runOnContext(l -> {
                            lister = listVertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                                    new PoolOptions().setHttp1MaxSize(1));
                            listLoop();
                        });
                    } else {
                        listed.complete(null);
                    }
                });
                vertx.setTimer((warmupSeconds + seconds) * 1000L, t -> {
                    windowEnd = System.nanoTime();
                    cpuEnd = cpuNow();
                    parleyRssKb = parleyPid < 0 ? -1 : rssKb(parleyPid);
                    generatorRssKb = rssKb(ProcessHandle.current().pid());
                    measuring = false;
                    listing = false;
                    stopping = true;
                });
            });
            // the drain: turns in flight at the end of the window finish on their own, or are counted as stuck
            finished.get(warmupSeconds + seconds + 90L, TimeUnit.SECONDS);
            listed.get(IDLE_TIMEOUT_MS + 10_000L, TimeUnit.MILLISECONDS);
            return this;
        }

        final class Client {
            String conversation;
            long started;
            boolean firstToken;
            boolean startEvent;
            boolean ended;
            boolean errorEvent;
            boolean inWindow;
            String carry = "";
            long acknowledged;
            long stored;
        }

        void error(String kind) {
            Map<String, Long> into = measuring || stopping ? errors : warmupErrors;
            into.merge(kind, 1L, Long::sum);
        }

        void createConversation(Client c) {
            streams.request(new RequestOptions().setMethod(HttpMethod.POST).setHost(target.host())
                    .setPort(target.port()).setURI("/api/conversations")
                    .putHeader("Authorization", "Bearer " + target.key())
                    .putHeader("Content-Type", "application/json").putHeader("Accept", "application/json"))
                    .compose(req -> req.send("{\"title\":\"bench\",\"model\":\"bench\"}"))
                    .compose(resp -> resp.body().map(body -> {
                        if (resp.statusCode() != 201) {
                            throw new IllegalStateException("create conversation: " + resp.statusCode());
                        }
                        return new JsonObject(body).getString("id");
                    }))
                    .onComplete(ar -> {
                        if (ar.failed()) {
                            error("create:" + ar.cause().getMessage());
                            clientDone();
                            return;
                        }
                        c.conversation = ar.result();
                        conversations.add(c);
                        nextTurn(c);
                    });
        }

        void clientDone() {
            if (--clientsRunning == 0) {
                done.tryComplete();
            }
        }

        void nextTurn(Client c) {
            if (stopping) {
                clientDone();
                return;
            }
            c.started = System.nanoTime();
            c.firstToken = false;
            c.startEvent = false;
            c.ended = false;
            c.errorEvent = false;
            c.carry = "";
            c.inWindow = measuring;
            if (c.inWindow) {
                turnsStartedInWindow++;
            }
            RequestOptions req = new RequestOptions().setMethod(HttpMethod.POST).setHost(target.host())
                    .setPort(target.port()).setIdleTimeout(IDLE_TIMEOUT_MS)
                    .putHeader("Content-Type", "application/json").putHeader("Accept", "text/event-stream");
            String body;
            if (target.api()) {
                req.setURI("/api/conversations/" + c.conversation + "/messages");
                body = "{\"content\":\"Tell me something\"}";
            } else {
                req.setURI("/v1/chat/completions");
                if (target.mode().equals("portkey")) {
                    req.putHeader("x-portkey-provider", "openai")
                            .putHeader("x-portkey-custom-host", "http://127.0.0.1:" + upstreamPortForGateway + "/v1")
                            .putHeader("Authorization", "Bearer bench");
                }
                body = "{\"model\":\"bench\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me something\"}]}";
                if (c.conversation != null) {
                    req.putHeader("X-Parley-Conversation", c.conversation);
                }
            }
            if (target.key() != null) {
                req.putHeader("Authorization", "Bearer " + target.key());
            }
            streams.request(req).compose(r -> r.send(body)).onComplete(ar -> {
                if (ar.failed()) {
                    endTurn(c, "io:" + ar.cause().getClass().getSimpleName());
                    return;
                }
                HttpClientResponse resp = ar.result();
                if (resp.statusCode() != 200) {
                    resp.body().onComplete(b -> endTurn(c, "http:" + resp.statusCode()));
                    return;
                }
                if (!target.api() && target.key() != null) {
                    acknowledged++; // on /v1 the user message is stored before the response starts
                    c.acknowledged++;
                    if (c.conversation == null) {
                        c.conversation = resp.getHeader("X-Parley-Conversation");
                        if (c.conversation != null) {
                            conversations.add(c);
                        }
                    }
                }
                resp.handler(buffer -> read(c, buffer));
                resp.exceptionHandler(e -> endTurn(c, "io:" + e.getClass().getSimpleName()));
                resp.endHandler(v -> {
                    if (c.ended && !c.errorEvent) {
                        endTurn(c, null);
                    } else if (c.errorEvent) {
                        endTurn(c, "event:error");
                    } else if (target.api() && !c.startEvent) {
                        endTurn(c, "no-start");
                    } else {
                        endTurn(c, "truncated");
                    }
                });
            });
        }

        /** Looks for the few markers that matter, across buffer boundaries, without parsing JSON. */
        void read(Client c, Buffer buffer) {
            String s = c.carry + buffer.toString(StandardCharsets.UTF_8);
            if (target.api()) {
                if (!c.startEvent && s.contains("event: message.start")) {
                    c.startEvent = true;
                    acknowledged++;
                    c.acknowledged++;
                }
                if (!c.firstToken && s.contains("event: delta")) {
                    token(c);
                }
                if (s.contains("event: message.end")) {
                    c.ended = true;
                }
                if (s.contains("event: error")) {
                    c.errorEvent = true;
                }
            } else {
                if (!c.firstToken && s.contains("\"content\":\"t")) {
                    token(c);
                }
                if (s.contains("data: [DONE]")) {
                    c.ended = true;
                }
                if (s.contains("{\"error\":")) {
                    c.errorEvent = true;
                }
            }
            c.carry = s.length() > 24 ? s.substring(s.length() - 24) : s;
        }

        void token(Client c) {
            c.firstToken = true;
            if (c.inWindow) {
                ttft.add((System.nanoTime() - c.started) / 1000);
            }
        }

        void endTurn(Client c, String error) {
            if (error == null) {
                completedTotal++;
                if (measuring) {
                    completedInWindow++;
                }
            } else {
                error(error);
            }
            // after a failure, a short pause so that a refusing server does not turn into a busy loop
            int pause = error == null ? pacingMs : Math.max(pacingMs, 50);
            if (pause > 0) {
                vertx.setTimer(pause, t -> nextTurn(c));
            } else {
                vertx.runOnContext(v -> nextTurn(c));
            }
        }

        /**
         * One more client: the first page of the conversation list every 50 ms while the window is open, on the
         * lister's own loop (errors are handed to the streams' loop, which keeps them).
         */
        void listLoop() {
            if (!listing) {
                lister.close();
                listed.complete(null);
                return;
            }
            long start = System.nanoTime();
            lister.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(target.host()).setPort(target.port())
                    .setURI("/api/conversations?limit=20").putHeader("Authorization", "Bearer " + target.key())
                    .putHeader("Accept", "application/json").setIdleTimeout(IDLE_TIMEOUT_MS))
                    .compose(req -> req.send())
                    .compose(resp -> resp.body().map(b -> resp.statusCode()))
                    .onComplete(ar -> {
                        if (ar.failed()) {
                            String kind = "list:" + ar.cause().getClass().getSimpleName();
                            vertx.runOnContext(v -> error(kind));
                        } else if (ar.result() != 200) {
                            String kind = "list:" + ar.result();
                            vertx.runOnContext(v -> error(kind));
                        } else if (listing) {
                            list.add((System.nanoTime() - start) / 1000);
                        }
                        listVertx.setTimer(50, t -> listLoop());
                    });
        }

        /**
         * Every message stored in this phase's conversations, read back page by page through the API, against two
         * per turn acknowledged in that conversation: fewer is a loss; more is a turn the client gave up on (a
         * timeout before the acknowledgement) that Parley stored all the same, which is not.
         */
        void countStored() throws Exception {
            CompletableFuture<Void> all = new CompletableFuture<>();
            vertx.runOnContext(v -> {
                int[] next = {0};
                int[] running = {Math.min(8, conversations.size())};
                if (running[0] == 0) {
                    all.complete(null);
                    return;
                }
                for (int i = 0; i < running[0]; i++) {
                    countNext(next, running, all);
                }
            });
            all.get(10, TimeUnit.MINUTES);
            stored = 0;
            for (Client c : conversations) {
                stored += c.stored;
                lost += Math.max(0, 2 * c.acknowledged - c.stored);
                storedUnacknowledged += Math.max(0, c.stored - 2 * c.acknowledged);
            }
        }

        void countNext(int[] next, int[] running, CompletableFuture<Void> all) {
            if (next[0] >= conversations.size()) {
                if (--running[0] == 0) {
                    all.complete(null);
                }
                return;
            }
            countPages(conversations.get(next[0]++), null, () -> countNext(next, running, all), all);
        }

        void countPages(Client c, String cursor, Runnable then, CompletableFuture<Void> all) {
            side.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(target.host()).setPort(target.port())
                    .setURI("/api/conversations/" + c.conversation + "/messages?limit=100" + (cursor == null ? ""
                            : "&cursor=" + cursor))
                    .putHeader("Authorization", "Bearer " + target.key()).putHeader("Accept", "application/json"))
                    .compose(req -> req.send()).compose(resp -> resp.body().map(b -> {
                        if (resp.statusCode() != 200) {
                            throw new IllegalStateException("messages of " + c.conversation + ": "
                                    + resp.statusCode());
                        }
                        return new JsonObject(b);
                    }))
                    .onComplete(ar -> {
                        if (ar.failed()) {
                            all.completeExceptionally(ar.cause());
                            return;
                        }
                        JsonObject page = ar.result();
                        c.stored += page.getJsonArray("items", new JsonArray()).size();
                        String nextCursor = page.getString("nextCursor");
                        if (nextCursor != null) {
                            countPages(c, nextCursor, then, all);
                        } else {
                            then.run();
                        }
                    });
        }

        long[] cpuNow() {
            return new long[] {cpuMs(ProcessHandle.current().pid()), cpuMs(upstreamPid),
                    parleyPid < 0 ? -1 : cpuMs(parleyPid), machineBusyMs(), postgresServerMs(),
                    runQueueWaitMs(ProcessHandle.current().pid()), runQueueWaitMs(upstreamPid),
                    parleyPid < 0 ? -1 : runQueueWaitMs(parleyPid),
                    parleyPid < 0 ? -1 : jitCompilerCpuMs(parleyPid)};
        }

        JsonObject toJson(boolean parley) {
            double window = (windowEnd - windowStart) / 1e9;
            JsonObject json = new JsonObject().put("mode", target.mode())
                    .put("streams", completedInWindow)
                    .put("streamsPerSec", round(completedInWindow / window, 2))
                    .put("turnsStartedInWindow", turnsStartedInWindow)
                    .put("errors", new JsonObject(new LinkedHashMap<>(errors)))
                    .put("warmupErrors", new JsonObject(new LinkedHashMap<>(warmupErrors)))
                    .put("ttftMs", new JsonObject().put("count", ttft.size).put("p50", round(ttft.pct(50), 2))
                            .put("p99", round(ttft.pct(99), 2)).put("max", round(ttft.pct(100), 2)));
            if (!parley) {
                // what the clients would do with an infinitely fast machine: one turn every (tokens-1) x delay + pacing
                double ideal = concurrency / (((tokens - 1) * delayMs + pacingMs) / 1000.0);
                json.put("idealStreamsPerSec", round(ideal, 2))
                        .put("vsIdeal", round(completedInWindow / window / ideal, 3));
            }
            if (parley) {
                long expected = 2 * acknowledged;
                json.put("listMs", new JsonObject().put("count", list.size).put("p50", round(list.pct(50), 2))
                        .put("p99", round(list.pct(99), 2)).put("max", round(list.pct(100), 2)));
                json.put("turnsAcknowledged", acknowledged).put("turnsCompletedTotal", completedTotal)
                        .put("messagesExpected", expected).put("messagesStored", stored)
                        .put("messagesLost", lost).put("messagesStoredUnacknowledged", storedUnacknowledged);
                long parleyCpu = cpuEnd[2] - cpuStart[2];
                json.put("parleyProcess", new JsonObject().put("cpuMs", parleyCpu)
                        .put("cpuCoresUsed", round(parleyCpu / 1000.0 / window, 2))
                        .put("cpuMsPerTurn", round((double) parleyCpu / Math.max(1, completedInWindow), 2))
                        .put("rssMbAtEnd", round(parleyRssKb / 1024.0, 1))
                        .put("runQueueWaitMs", cpuEnd[7] - cpuStart[7])
                        .put("jitCompilerCpuMs", cpuEnd[8] - cpuStart[8])
                        .put("jitShareOfCpu", round((double) (cpuEnd[8] - cpuStart[8]) / Math.max(1, parleyCpu), 3)));
            }
            long generatorCpu = cpuEnd[0] - cpuStart[0];
            long upstreamCpu = cpuEnd[1] - cpuStart[1];
            json.put("generator", new JsonObject().put("cpuMs", generatorCpu)
                    .put("cpuCoresUsed", round(generatorCpu / 1000.0 / window, 2))
                    .put("rssMbAtEnd", round(generatorRssKb / 1024.0, 1))
                    .put("runQueueWaitMs", cpuEnd[5] - cpuStart[5]));
            json.put("fakeUpstream", new JsonObject().put("cpuMs", upstreamCpu)
                    .put("cpuCoresUsed", round(upstreamCpu / 1000.0 / window, 2))
                    .put("runQueueWaitMs", cpuEnd[6] - cpuStart[6]));
            // the machine is shared: what everything else took in the same window says how far to trust the run
            long busy = cpuEnd[3] - cpuStart[3];
            long postgres = cpuEnd[4] - cpuStart[4];
            long ours = generatorCpu + upstreamCpu + (parley ? cpuEnd[2] - cpuStart[2] : 0)
                    + (parley && backend.equals("postgres") ? postgres : 0);
            JsonObject machine = new JsonObject().put("busyCores", round(busy / 1000.0 / window, 2));
            if (parley && backend.equals("postgres")) {
                machine.put("postgresBackendsCores", round(postgres / 1000.0 / window, 2));
            }
            json.put("machine", machine.put("otherProcessesCores", round((busy - ours) / 1000.0 / window, 2)));
            return json;
        }
    }

    // ---------------------------------------------------------------- processes

    static Process startUpstream() throws IOException {
        List<String> command = new ArrayList<>(List.of(javaBin(), "-XX:+UseSerialGC", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), SOURCE, "upstream",
                "--tokens", String.valueOf(tokens), "--delay-ms", String.valueOf(delayMs)));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    static int readPort(Process upstream) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(upstream.getInputStream(),
                StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("port ")) {
            throw new IllegalStateException("fake upstream did not start: " + line);
        }
        return Integer.parseInt(line.substring(5).trim());
    }

    static Process startParley(Path dataDir, String dbUrl, int port, int upstreamPort) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaBin()));
        if (!parleyJavaOpts.isBlank()) {
            command.addAll(List.of(parleyJavaOpts.trim().split("\\s+")));
        }
        command.addAll(List.of("-jar", Path.of(jar).toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dataDir.toFile())
                .redirectErrorStream(true).redirectOutput(dataDir.resolve("parley.log").toFile());
        pb.environment().put("DATABASE_URL", dbUrl);
        pb.environment().put("PORT", String.valueOf(port));
        pb.environment().put("PARLEY_BOOTSTRAP_API_KEY", KEY);
        pb.environment().put("PARLEY_UPSTREAM_1_URL", "http://127.0.0.1:" + upstreamPort + "/v1");
        pb.environment().put("PARLEY_UPSTREAM_1_MODELS", "bench");
        for (String kv : parleyEnv) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        System.err.println("parley log: " + dataDir.resolve("parley.log"));
        return pb.start();
    }

    static void awaitReady(Vertx vertx, int port, Process parley, Path dir) throws Exception {
        HttpClient http = vertx.createHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        try {
            while (System.nanoTime() < deadline) {
                if (!parley.isAlive()) {
                    throw new IllegalStateException("Parley exited: " + Files.readString(dir.resolve("parley.log")));
                }
                CompletableFuture<Integer> status = new CompletableFuture<>();
                http.request(HttpMethod.GET, port, "127.0.0.1", "/q/health/ready").compose(r -> r.send())
                        .compose(r -> r.body().map(b -> r.statusCode()))
                        .onComplete(ar -> status.complete(ar.succeeded() ? ar.result() : -1));
                if (status.get(10, TimeUnit.SECONDS) == 200) {
                    return;
                }
                Thread.sleep(200);
            }
            throw new IllegalStateException("Parley not ready in 90 s");
        } finally {
            http.close();
        }
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void admin(String sql) throws Exception {
        URI u = URI.create(pgAdminUrl);
        String user = u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":", 2)[0];
        String password = u.getUserInfo() == null || !u.getUserInfo().contains(":") ? null
                : u.getUserInfo().split(":", 2)[1];
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + u.getHost() + ":"
                + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getPath(), user, password);
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    // ---------------------------------------------------------------- /proc

    /** utime + stime of a process, in milliseconds (clock ticks of 10 ms: Linux's USER_HZ is 100). */
    static long cpuMs(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // the command name may hold spaces; fields are counted after its closing parenthesis
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * The CPU time of the process's JIT compiler threads (HotSpot's "C1/C2 CompilerThread"), in milliseconds: what of
     * its CPU in the window went to compiling rather than serving, which says whether the warm-up was long enough (a
     * 2-core machine under load measured 45 % of Parley's CPU in C2 25-40 s after start).
     */
    static long jitCompilerCpuMs(long pid) {
        long ms = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        ms += (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
                    }
                } catch (IOException | RuntimeException e) {
                    // ended
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return ms;
    }

    /**
     * How long the process's threads were ready to run but waited for a CPU (/proc/<pid>/task/<tid>/schedstat, second
     * field), in milliseconds: on a shared machine, the part of a latency that is someone else's load. Threads that
     * end inside the window take their share with them.
     */
    static long runQueueWaitMs(long pid) {
        long ns = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    ns += Long.parseLong(Files.readString(t.resolve("schedstat")).trim().split(" ")[1]);
                } catch (IOException | RuntimeException e) {
                    // ended
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return ns / 1_000_000;
    }

    /** Every CPU's busy time (user, nice, system, irq, softirq, steal) from /proc/stat, in milliseconds. */
    static long machineBusyMs() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long ticks = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                ticks += Long.parseLong(f[i]);
            }
            return ticks * 10;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * CPU of the local PostgreSQL server's backends serving the database under test (their process title names it;
     * the server's shared processes such as the WAL writer are left out, and a backend that exits inside the window
     * takes its share with it, so this is a lower bound).
     */
    static long postgresServerMs() {
        if (databaseName == null) {
            return 0;
        }
        long sum = 0;
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    if (Files.readSymbolicLink(p.resolve("exe")).toString().startsWith("/usr/lib/postgresql/")
                            && Files.readString(p.resolve("cmdline")).contains(" " + databaseName + " ")) {
                        sum += Math.max(0, cpuMs(Long.parseLong(name)));
                    }
                } catch (IOException | RuntimeException e) {
                    // gone, or not ours to read
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return sum;
    }

    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            // gone
        }
        return -1;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static double round(double v, int places) {
        double scale = Math.pow(10, places);
        return Math.round(v * scale) / scale;
    }

    // ---------------------------------------------------------------- fake upstream (its own process)

    /**
     * An OpenAI-compatible upstream: {@code POST /v1/chat/completions} streams {@code --tokens} chunks
     * {@code --delay-ms} apart (the first at once; chunk i is due i x delay after the request, so a late timer does
     * not push back the chunks after it), then a finish chunk, a usage chunk and {@code [DONE]}; without
     * {@code "stream": true} it answers the whole completion after the same time. {@code GET /v1/models} lists
     * {@code bench}. Timers on one event loop, no thread per stream. Prints {@code port N}; exits when its standard
     * input closes (the load generator is gone).
     */
    static final class FakeUpstream {
        static void main(String[] args) throws Exception {
            int tokens = 40;
            int delayMs = 25;
            int port = 0;
            for (int i = 0; i < args.length; i += 2) {
                switch (args[i]) {
                    case "--tokens" -> tokens = Integer.parseInt(args[i + 1]);
                    case "--delay-ms" -> delayMs = Integer.parseInt(args[i + 1]);
                    case "--port" -> port = Integer.parseInt(args[i + 1]);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            byte[][] chunks = new byte[tokens][];
            for (int i = 0; i < tokens; i++) {
                chunks[i] = ("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"model\":\"bench\","
                        + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t" + i + " \"},\"finish_reason\":null}]}"
                        + "\n\n").getBytes(StandardCharsets.UTF_8);
            }
            byte[] last = ("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"model\":\"bench\","
                    + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                    + "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"choices\":[],"
                    + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":" + tokens + ",\"total_tokens\":"
                    + (12 + tokens) + "}}\n\ndata: [DONE]\n\n").getBytes(StandardCharsets.UTF_8);
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < tokens; i++) {
                text.append('t').append(i).append(' ');
            }
            String whole = new JsonObject().put("id", "chatcmpl-bench").put("object", "chat.completion")
                    .put("model", "bench").put("choices", new JsonArray().add(new JsonObject().put("index", 0)
                            .put("message", new JsonObject().put("role", "assistant").put("content",
                                    text.toString()))
                            .put("finish_reason", "stop")))
                    .put("usage", new JsonObject().put("prompt_tokens", 12).put("completion_tokens", tokens)
                            .put("total_tokens", 12 + tokens)).encode();
            String models = "{\"object\":\"list\",\"data\":[{\"id\":\"bench\",\"object\":\"model\",\"created\":0,"
                    + "\"owned_by\":\"bench\"}]}";
            Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                    .setInternalBlockingPoolSize(1));
            int tokenCount = tokens;
            int delay = delayMs;
            HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port)
                    .setAcceptBacklog(4096).setIdleTimeout(0));
            server.requestHandler(req -> {
                if (req.method() == HttpMethod.GET && req.path().endsWith("/models")) {
                    req.response().putHeader("Content-Type", "application/json").end(models);
                } else if (req.method() == HttpMethod.POST && req.path().endsWith("/chat/completions")) {
                    req.body().onSuccess(body -> {
                        if (body.toString(StandardCharsets.UTF_8).replace(" ", "").contains("\"stream\":true")) {
                            stream(vertx, req.response(), chunks, last, delay);
                        } else {
                            vertx.setTimer(Math.max(1, (long) (tokenCount - 1) * delay), t -> req.response()
                                    .putHeader("Content-Type", "application/json").end(whole));
                        }
                    });
                } else {
                    req.response().setStatusCode(404).end();
                }
            });
            int actual = server.listen().toCompletionStage().toCompletableFuture().get().actualPort();
            System.out.println("port " + actual);
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the parent to go away
            }
            System.exit(0);
        }

        static void stream(Vertx vertx, HttpServerResponse resp, byte[][] chunks, byte[] last, int delayMs) {
            resp.setChunked(true).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control",
                    "no-cache");
            int[] next = {0};
            long[] timer = {-1};
            long start = System.nanoTime();
            resp.closeHandler(v -> vertx.cancelTimer(timer[0]));
            Consumer<Long> tick = new Consumer<>() {
                @Override
                public void accept(Long id) {
                    if (resp.closed()) {
                        return;
                    }
                    int i = next[0]++;
                    if (i < chunks.length) {
                        resp.write(Buffer.buffer(chunks[i]));
                        if (i + 1 < chunks.length) {
                            // chunk i+1 is due at start + (i+1) x delay: a late timer does not delay the rest
                            long due = start + TimeUnit.MILLISECONDS.toNanos((long) (i + 1) * delayMs);
                            long wait = TimeUnit.NANOSECONDS.toMillis(due - System.nanoTime());
                            timer[0] = vertx.setTimer(Math.max(1, wait), this::accept);
                            return;
                        }
                    }
                    resp.end(Buffer.buffer(last));
                }
            };
            tick.accept(-1L);
        }
    }
}
