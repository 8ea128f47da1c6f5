/*
 * Streaming load generator for Parley. One command, no build step:
 *
 *   java bench/StreamLoad.java --concurrency 100 --seconds 20 [--database-url postgresql://...]
 *
 * It starts a fake OpenAI-compatible upstream (default: 40 tokens, 25 ms apart), starts the packaged Parley
 * (target/quarkus-app/quarkus-run.jar) pointed at it, then measures in the same run:
 *   baseline: N concurrent streams straight from the fake upstream (the physical limit of this machine and upstream);
 *   parley:   N concurrent chat turns through Parley (SSE), while another client lists conversations.
 * Afterwards it counts the stored messages through the API and prints one JSON document (see bench/README.md).
 */

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class StreamLoad {

    static int concurrency = 100;
    static int seconds = 20;
    static int warmupSeconds = 15; // JIT: the first seconds of a fresh JVM are not representative
    static int tokens = 40;
    static int delayMs = 25;
    static String databaseUrl = null;
    static String jar = "target/quarkus-app/quarkus-run.jar";
    static String parleyJavaOpts = "";
    static final String KEY = "bench-admin-key-0123456789";
    static ProcessHandle parleyProcess;

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--concurrency" -> concurrency = Integer.parseInt(args[i + 1]);
                case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
                case "--warmup" -> warmupSeconds = Integer.parseInt(args[i + 1]);
                case "--tokens" -> tokens = Integer.parseInt(args[i + 1]);
                case "--delay-ms" -> delayMs = Integer.parseInt(args[i + 1]);
                case "--database-url" -> databaseUrl = args[i + 1];
                case "--jar" -> jar = args[i + 1];
                case "--parley-java-opts" -> parleyJavaOpts = args[i + 1];
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        // the JDK server closes keep-alive connections beyond 200 idle ones; a real upstream would not be this stingy
        System.setProperty("sun.net.httpserver.maxIdleConnections", String.valueOf(concurrency + 64));
        Upstream upstream = Upstream.start(concurrency + 64);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(8)).connectTimeout(Duration.ofSeconds(10)).build();

        // Baseline: the fake upstream streamed directly, same concurrency and duration.
        Result baseline = run(http, "http://127.0.0.1:" + upstream.port, null, false);

        Path dataDir = Files.createTempDirectory("parley-bench");
        String dbUrl = databaseUrl != null ? databaseUrl : "sqlite:" + dataDir.resolve("parley.db");
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        if (!parleyJavaOpts.isBlank()) {
            command.addAll(List.of(parleyJavaOpts.trim().split("\\s+")));
        }
        command.addAll(List.of("-jar", Path.of(jar).toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dataDir.toFile())
                .redirectErrorStream(true).redirectOutput(dataDir.resolve("parley.log").toFile());
        pb.environment().put("DATABASE_URL", dbUrl);
        pb.environment().put("PORT", String.valueOf(port));
        pb.environment().put("PARLEY_BOOTSTRAP_API_KEY", KEY);
        pb.environment().put("PARLEY_UPSTREAM_1_URL", "http://127.0.0.1:" + upstream.port + "/v1");
        pb.environment().put("PARLEY_UPSTREAM_1_MODELS", "bench");
        Process parley = pb.start();
        String base = "http://127.0.0.1:" + port;
        Result result;
        try {
            awaitReady(http, base, parley, dataDir);
            parleyProcess = parley.toHandle();
            result = run(http, base, KEY, true);
        } finally {
            parley.destroy();
            parley.waitFor(30, TimeUnit.SECONDS);
            upstream.server.stop(0);
        }
        System.out.println(json(dbUrl.startsWith("sqlite") ? "sqlite" : "postgresql", baseline, result));
        System.exit(0);
    }

    // ---------------------------------------------------------------- load

    static final class Result {
        final AtomicLong completed = new AtomicLong();
        final AtomicLong started = new AtomicLong();
        final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
        final List<Long> ttftMicros = Collections.synchronizedList(new ArrayList<>());
        final List<Long> listMicros = Collections.synchronizedList(new ArrayList<>());
        final List<String> conversations = Collections.synchronizedList(new ArrayList<>());
        long stored = -1;
        double parleyCpuSeconds = -1;
        double elapsedSeconds;

        void error(String kind) {
            errors.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
        }
    }

    static Result run(HttpClient http, String base, String key, boolean parley) throws Exception {
        Result warm = new Result();
        drive(http, base, key, parley, warm, warmupSeconds, false);
        Result r = new Result();
        Duration cpuBefore = cpu();
        drive(http, base, key, parley, r, seconds, parley);
        if (parley && cpuBefore != null && cpu() != null) {
            r.parleyCpuSeconds = (cpu().toMillis() - cpuBefore.toMillis()) / 1000.0;
        }
        if (parley) {
            r.stored = countStored(http, base, key, r.conversations);
        }
        return r;
    }

    static void drive(HttpClient http, String base, String key, boolean parley, Result r, int duration,
            boolean measureList) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(duration);
        CountDownLatch done = new CountDownLatch(concurrency);
        long t0 = System.nanoTime();
        for (int w = 0; w < concurrency; w++) {
            Thread t = new Thread(() -> {
                try {
                    String conversation = parley ? createConversation(http, base, key) : null;
                    if (conversation != null) {
                        r.conversations.add(conversation);
                    }
                    while (System.nanoTime() < deadline) {
                        stream(http, base, key, conversation, r);
                    }
                } catch (Exception e) {
                    r.error("worker:" + e.getClass().getSimpleName());
                } finally {
                    done.countDown();
                }
            });
            t.setDaemon(true);
            t.start();
        }
        Thread lister = null;
        if (measureList) {
            lister = new Thread(() -> {
                while (System.nanoTime() < deadline) {
                    try {
                        long s = System.nanoTime();
                        HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create(base
                                + "/api/conversations?limit=20")).header("Authorization", "Bearer " + key).build(),
                                HttpResponse.BodyHandlers.ofString());
                        long micros = (System.nanoTime() - s) / 1000;
                        if (resp.statusCode() == 200) {
                            r.listMicros.add(micros);
                        } else {
                            r.error("list:" + resp.statusCode());
                        }
                        Thread.sleep(50);
                    } catch (Exception e) {
                        r.error("list:" + e.getClass().getSimpleName());
                    }
                }
            });
            lister.setDaemon(true);
            lister.start();
        }
        done.await();
        if (lister != null) {
            lister.join();
        }
        r.elapsedSeconds = (System.nanoTime() - t0) / 1e9;
    }

    static String createConversation(HttpClient http, String base, String key) throws Exception {
        HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"bench\",\"model\":\"bench\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != 201) {
            throw new IllegalStateException("create conversation: " + resp.statusCode() + " " + resp.body());
        }
        Matcher m = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(resp.body());
        m.find();
        return m.group(1);
    }

    static void stream(HttpClient http, String base, String key, String conversation, Result r) {
        HttpRequest.Builder req;
        if (conversation != null) {
            req = HttpRequest.newBuilder(URI.create(base + "/api/conversations/" + conversation + "/messages"))
                    .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(
                            "{\"content\":\"Tell me something\"}"));
        } else {
            req = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers
                    .ofString("{\"model\":\"bench\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                            + "\"content\":\"Tell me something\"}]}"));
        }
        req.header("Content-Type", "application/json").header("Accept", "text/event-stream");
        long start = System.nanoTime();
        try {
            HttpResponse<java.io.InputStream> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
            if (resp.statusCode() != 200) {
                r.error("http:" + resp.statusCode());
                resp.body().close();
                return;
            }
            boolean first = true;
            boolean ended = false;
            boolean startedEvent = false;
            String event = null;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("event: ")) {
                        event = line.substring(7);
                        if (event.equals("message.start")) {
                            startedEvent = true;
                            r.started.incrementAndGet();
                        }
                    } else if (line.startsWith("data: ")) {
                        boolean isText = conversation == null ? line.contains("\"content\":\"t") : "delta".equals(event);
                        if (first && isText) {
                            r.ttftMicros.add((System.nanoTime() - start) / 1000);
                            first = false;
                        }
                        if ("error".equals(event)) {
                            r.error("event:error");
                        }
                        if ("message.end".equals(event) || line.equals("data: [DONE]")) {
                            ended = true;
                        }
                    }
                }
            }
            if (ended) {
                r.completed.incrementAndGet();
            } else if (!startedEvent && conversation != null) {
                r.error("no-start");
            } else {
                r.error("truncated");
            }
        } catch (Exception e) {
            r.error("io:" + e.getClass().getSimpleName());
        }
    }

    static long countStored(HttpClient http, String base, String key, List<String> conversations) throws Exception {
        long total = 0;
        for (String id : conversations) {
            String cursor = null;
            do {
                HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations/"
                        + id + "/messages?limit=100" + (cursor == null ? "" : "&cursor=" + cursor)))
                        .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
                Matcher ids = Pattern.compile("\"role\":\"").matcher(resp.body());
                while (ids.find()) {
                    total++;
                }
                Matcher next = Pattern.compile("\"nextCursor\":\"([^\"]+)\"").matcher(resp.body());
                cursor = next.find() ? next.group(1) : null;
            } while (cursor != null);
        }
        return total;
    }

    // ---------------------------------------------------------------- fake upstream

    static final class Upstream {
        HttpServer server;
        int port;

        static Upstream start(int threads) throws IOException {
            Upstream u = new Upstream();
            u.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
            u.server.setExecutor(Executors.newFixedThreadPool(threads));
            u.server.createContext("/", u::handle);
            u.server.start();
            u.port = u.server.getAddress().getPort();
            return u;
        }

        void handle(HttpExchange ex) throws IOException {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            // one connection per stream: the JDK server drops pooled keep-alive connections under this load, which
            // would measure the fake, not Parley
            ex.getResponseHeaders().add("Connection", "close");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < tokens; i++) {
                    if (i > 0) {
                        Thread.sleep(delayMs);
                    }
                    out.write(("data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
                            + "{\"content\":\"t" + i + " \"},\"finish_reason\":null}]}\n\n")
                            .getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                out.write(("data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},"
                        + "\"finish_reason\":\"stop\"}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
                        + "\"completion_tokens\":" + tokens + ",\"total_tokens\":" + (12 + tokens) + "}}\n\n"
                        + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
            } catch (InterruptedException | IOException e) {
                // client went away
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    static void awaitReady(HttpClient http, String base, Process parley, Path dir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!parley.isAlive()) {
                throw new IllegalStateException("Parley exited: " + Files.readString(dir.resolve("parley.log")));
            }
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not yet listening
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Parley not ready in 90 s");
    }

    static Duration cpu() {
        return parleyProcess == null ? null : parleyProcess.info().totalCpuDuration().orElse(null);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static double pct(List<Long> values, double p) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(i, sorted.size() - 1))) / 1000.0;
    }

    static String json(String backend, Result b, Result p) {
        double bRate = b.completed.get() / b.elapsedSeconds;
        double pRate = p.completed.get() / p.elapsedSeconds;
        Map<String, Long> errors = new TreeMap<>();
        p.errors.forEach((k, v) -> errors.put(k, v.get()));
        StringBuilder e = new StringBuilder("{");
        errors.forEach((k, v) -> e.append(e.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
        e.append('}');
        long expected = 2 * p.started.get();
        return String.format(java.util.Locale.ROOT, """
                {
                  "backend": "%s", "concurrency": %d, "seconds": %d, "upstream": {"tokens": %d, "delayMs": %d},
                  "baseline": {"streams": %d, "streamsPerSec": %.2f, "ttftMs": {"p50": %.2f, "p99": %.2f}},
                  "parley": {"streams": %d, "streamsPerSec": %.2f, "errors": %s,
                             "ttftMs": {"p50": %.2f, "p99": %.2f},
                             "listMs": {"count": %d, "p50": %.2f, "p99": %.2f, "max": %.2f},
                             "messagesExpected": %d, "messagesStored": %d, "messagesLost": %d,
                             "cpuCoresUsed": %.2f, "cpuMsPerStream": %.2f},
                  "ratios": {"streamsPerSecVsBaseline": %.3f, "ttftP50OverheadMs": %.2f, "ttftP99OverheadMs": %.2f}
                }""", backend, concurrency, seconds, tokens, delayMs,
                b.completed.get(), bRate, pct(b.ttftMicros, 50), pct(b.ttftMicros, 99),
                p.completed.get(), pRate, e, pct(p.ttftMicros, 50), pct(p.ttftMicros, 99),
                p.listMicros.size(), pct(p.listMicros, 50), pct(p.listMicros, 99), pct(p.listMicros, 100),
                expected, p.stored, expected - p.stored,
                p.parleyCpuSeconds / p.elapsedSeconds, 1000 * p.parleyCpuSeconds / Math.max(1, p.completed.get()),
                pRate / bRate, pct(p.ttftMicros, 50) - pct(b.ttftMicros, 50),
                pct(p.ttftMicros, 99) - pct(b.ttftMicros, 99));
    }
}
