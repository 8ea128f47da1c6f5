/*
 * What usage accounting and limits cost, in one run per backend.
 *
 *   java -cp "target/quarkus-app/lib/main/*" bench/UsageLoad.java \
 *        [--backends sqlite,postgres] [--pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres] \
 *        [--concurrency 40] [--seconds 30] [--warmup 15] [--keys 1000] [--models 10] [--days 365] [--requests 200]
 *        [--parts limits,reports] [--control false] [--runs 1]
 *
 * Part 1, limits on and off under the same load: two tenants on one packaged Parley, one without limits and one whose
 * tenant and key both have every limit set (high enough never to refuse, so every check and counter update runs).
 * Each of --concurrency clients streams turns back to back, alternating between the two tenants, so both see the same
 * load at the same moments; the report compares their time to first token, with a 95 % bootstrap interval of the p99
 * difference. --control true leaves the second tenant without limits too: the difference it shows is the bench's own
 * noise, the floor under which a difference cannot be told from nothing. --runs N repeats the whole run N times per
 * backend (a fresh Parley and database each time) and adds, per backend, the p99 difference of all runs' turns pooled,
 * with its bootstrap interval (each run's samples resampled within that run): one run's p99 over a few thousand turns
 * moves by a few milliseconds from run to run, the pooled one by much less.
 *
 * Part 2, reports over a year: Parley is stopped, the rollups of one tenant are filled directly with --days days x
 * --keys keys x --models models (two finish reasons on one group in ten), Parley is started again, and
 * GET /api/usage is asked for the whole range --requests times per grouping (40 for every key and model pair, a
 * 10,000-group answer), one client and then eight.
 *
 * Prints one JSON document per backend.
 */

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
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

public class UsageLoad {

    static List<String> backends = List.of("sqlite", "postgres");
    static String pgAdminUrl = "postgresql://postgres@127.0.0.1:5432/postgres";
    static String jar = "target/quarkus-app/quarkus-run.jar";
    static int concurrency = 40;
    static int seconds = 30;
    static int warmup = 15;
    static int keys = 1000;
    static int models = 10;
    static int days = 365;
    static int requests = 200;
    static int tokens = 20;
    static List<String> parts = List.of("limits", "reports");
    static int delayMs = 20;
    static boolean control = false;
    static int runs = 1;
    /** Per backend, every run's turns without and with limits, for the pooled figure. */
    static final Map<String, List<Load[]>> RUNS = new LinkedHashMap<>();

    static final String ADMIN = "usage-bench-admin-key-0123456789";
    static final SecureRandom RANDOM = new SecureRandom();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newFixedThreadPool(8)).connectTimeout(Duration.ofSeconds(10)).build();
    static final String HIGH = "{\"requestsPerMinute\":1000000000,\"tokensPerMinute\":1000000000000,"
            + "\"concurrentTurns\":1000000,\"monthlyTokenBudget\":1000000000000000}";

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--backends" -> backends = Arrays.asList(args[i + 1].split(","));
                case "--pg-admin-url" -> pgAdminUrl = args[i + 1];
                case "--jar" -> jar = args[i + 1];
                case "--concurrency" -> concurrency = Integer.parseInt(args[i + 1]);
                case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
                case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
                case "--keys" -> keys = Integer.parseInt(args[i + 1]);
                case "--models" -> models = Integer.parseInt(args[i + 1]);
                case "--days" -> days = Integer.parseInt(args[i + 1]);
                case "--requests" -> requests = Integer.parseInt(args[i + 1]);
                case "--parts" -> parts = Arrays.asList(args[i + 1].split(","));
                case "--control" -> control = Boolean.parseBoolean(args[i + 1]);
                case "--runs" -> runs = Integer.parseInt(args[i + 1]);
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        System.setProperty("sun.net.httpserver.maxIdleConnections", String.valueOf(concurrency + 64));
        Upstream upstream = Upstream.start(concurrency + 64);
        List<String> reports = new ArrayList<>();
        try {
            for (String backend : backends) {
                for (int i = 0; i < runs; i++) {
                    reports.add(run(backend.trim(), upstream));
                    System.err.println(reports.get(reports.size() - 1));
                }
                if (runs > 1 && parts.contains("limits")) {
                    reports.add(pooled(backend.trim(), RUNS.get(backend.trim())));
                }
            }
        } finally {
            upstream.server.stop(0);
        }
        System.out.println("[\n" + String.join(",\n", reports) + "\n]");
        System.exit(0);
    }

    static String run(String backend, Upstream upstream) throws Exception {
        Path dir = Files.createTempDirectory("parley-usage-bench");
        String scratch = null;
        String databaseUrl;
        if (backend.equals("sqlite")) {
            databaseUrl = "sqlite:" + dir.resolve("parley.db");
        } else {
            scratch = "parley_bench_usage_" + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE);
            admin("CREATE DATABASE " + scratch);
            URI a = URI.create(pgAdminUrl);
            databaseUrl = a.getScheme() + "://" + (a.getRawUserInfo() == null ? "" : a.getRawUserInfo() + "@")
                    + a.getHost() + ":" + (a.getPort() < 0 ? 5432 : a.getPort()) + "/" + scratch;
        }
        try {
            Parley parley = Parley.start(dir, databaseUrl, upstream);
            String[] free = createTenant(parley.base, "free");
            String[] limited = createTenant(parley.base, "limited");
            String[] reporting = createTenant(parley.base, "reporting");
            if (!control) { // a control run leaves both tenants without limits: its difference is the bench's noise
                send(parley.base, ADMIN, "PUT", "/api/admin/tenants/" + limited[0] + "/limits", HIGH, 200);
                send(parley.base, limited[1], "PATCH", "/api/keys/" + limited[2], "{\"limits\":" + HIGH + "}", 200);
            }

            Map<String, Load> load = parts.contains("limits") ? drive(parley.base, List.of(free[1], limited[1]))
                    : Map.of(free[1], new Load(), limited[1], new Load());
            RUNS.computeIfAbsent(backend, b -> new ArrayList<>()).add(new Load[] { load.get(free[1]),
                    load.get(limited[1]) });
            parley.stop();
            Map<String, double[]> reports = new LinkedHashMap<>();
            if (!parts.contains("reports")) {
                return json(backend, load.get(free[1]), load.get(limited[1]), 0, reports);
            }

            long seeded = seed(databaseUrl, UUID.fromString(reporting[0]));
            parley = Parley.start(dir, databaseUrl, upstream);
            try {
                for (String groupBy : List.of("", "model", "day", "key", "day,model")) {
                    reports.put(groupBy.isEmpty() ? "none" : groupBy, reportLatency(parley.base, reporting[1], groupBy,
                            requests));
                }
                // every (key, model) pair: a 10,000-group answer of about 1.6 MB, asked fewer times
                reports.put("model,key", reportLatency(parley.base, reporting[1], "model,key", 40));
            } finally {
                parley.stop();
            }
            return json(backend, load.get(free[1]), load.get(limited[1]), seeded, reports);
        } finally {
            if (scratch != null) {
                admin("DROP DATABASE IF EXISTS " + scratch);
            }
        }
    }

    // ---------------------------------------------------------------- part 1: limits on and off

    static final class Load {
        final List<Long> ttftMicros = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong completed = new AtomicLong();
        final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();

        void error(String kind) {
            errors.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
        }
    }

    static Map<String, Load> drive(String base, List<String> tenantKeys) throws Exception {
        Map<String, List<String>> conversations = new LinkedHashMap<>();
        for (String key : tenantKeys) {
            List<String> own = new ArrayList<>();
            for (int i = 0; i < concurrency; i++) {
                own.add(field(send(base, key, "POST", "/api/conversations", "{\"title\":\"bench\",\"model\":\"bench\"}",
                        201), "id"));
            }
            conversations.put(key, own);
        }
        Map<String, Load> measured = new LinkedHashMap<>();
        tenantKeys.forEach(k -> measured.put(k, new Load()));
        Load discard = new Load();
        long start = System.nanoTime();
        long measureFrom = start + TimeUnit.SECONDS.toNanos(warmup);
        long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < concurrency; c++) {
            int client = c;
            clients.add(pool.submit(() -> {
                int turn = client;
                while (System.nanoTime() < end) {
                    String key = tenantKeys.get(turn++ % tenantKeys.size());
                    boolean counted = System.nanoTime() >= measureFrom;
                    stream(base, key, conversations.get(key).get(client), counted ? measured.get(key) : discard);
                }
                return null;
            }));
        }
        for (Future<?> f : clients) {
            f.get();
        }
        pool.shutdown();
        return measured;
    }

    static void stream(String base, String key, String conversation, Load r) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/api/conversations/" + conversation + "/messages"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"Tell me something\"}")).build();
        long start = System.nanoTime();
        try {
            HttpResponse<java.io.InputStream> resp = HTTP.send(req, HttpResponse.BodyHandlers.ofInputStream());
            if (resp.statusCode() != 200) {
                r.error("http:" + resp.statusCode());
                resp.body().close();
                return;
            }
            boolean first = true;
            boolean ended = false;
            String event = null;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("event: ")) {
                        event = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        if (first && "delta".equals(event)) {
                            r.ttftMicros.add((System.nanoTime() - start) / 1000);
                            first = false;
                        }
                        if ("error".equals(event)) {
                            r.error("event:error");
                        }
                        if ("message.end".equals(event)) {
                            ended = true;
                        }
                    }
                }
            }
            if (ended) {
                r.completed.incrementAndGet();
            } else {
                r.error("truncated");
            }
        } catch (Exception e) {
            r.error("io:" + e.getClass().getSimpleName());
        }
    }

    // ---------------------------------------------------------------- part 2: reports over a year of rollups

    /** Fills the rollups of one tenant as a year of turns would have; returns the daily rows written. */
    static long seed(String databaseUrl, UUID tenant) throws Exception {
        boolean sqlite = databaseUrl.startsWith("sqlite:");
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<UUID> keyIds = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            keyIds.add(UUID.randomUUID());
        }
        java.util.Random random = new java.util.Random(7);
        // sums for the coarser grains, filled while the daily rows are written
        Map<String, long[]> tenantDaily = new LinkedHashMap<>();
        Map<String, long[]> keyMonthly = new LinkedHashMap<>();
        Map<String, long[]> keyOnlyDaily = new LinkedHashMap<>();
        Map<String, long[]> keyOnlyMonthly = new LinkedHashMap<>();
        Map<String, long[]> keyYearly = new LinkedHashMap<>();
        Map<String, long[]> keyOnlyYearly = new LinkedHashMap<>();
        long rows = 0;
        try (Connection c = connect(databaseUrl)) {
            c.setAutoCommit(false);
            String idType = sqlite ? "?" : "?::uuid";
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO usage_daily (id, tenant_id, key_id, model, day, "
                    + "finish_reason, turns, tokens_in, tokens_out) VALUES (" + idType + ", " + idType + ", " + idType
                    + ", ?, ?, ?, ?, ?, ?)")) {
                for (int d = days - 1; d >= 0; d--) {
                    String day = today.minusDays(d).toString();
                    for (UUID key : keyIds) {
                        for (int m = 0; m < models; m++) {
                            String model = "model-" + m;
                            for (String reason : random.nextInt(10) == 0 ? List.of("stop", "length") : List.of("stop")) {
                                long turns = 1 + random.nextInt(20);
                                long in = turns * (50 + random.nextInt(500));
                                long out = turns * (20 + random.nextInt(800));
                                ps.setString(1, UUID.randomUUID().toString());
                                ps.setString(2, tenant.toString());
                                ps.setString(3, key.toString());
                                ps.setString(4, model);
                                ps.setString(5, day);
                                ps.setString(6, reason);
                                ps.setLong(7, turns);
                                ps.setLong(8, in);
                                ps.setLong(9, out);
                                ps.addBatch();
                                rows++;
                                // keys: the grouping values in the order insertSums writes their columns
                                add(tenantDaily, model + "|" + day + "|" + reason, turns, in, out);
                                add(keyMonthly, key + "|" + model + "|" + day.substring(0, 7) + "|" + reason, turns,
                                        in, out);
                                add(keyOnlyDaily, key + "|" + day + "|" + reason, turns, in, out);
                                add(keyOnlyMonthly, key + "|" + day.substring(0, 7) + "|" + reason, turns, in, out);
                                add(keyYearly, key + "|" + model + "|" + day.substring(0, 4) + "|" + reason, turns,
                                        in, out);
                                add(keyOnlyYearly, key + "|" + day.substring(0, 4) + "|" + reason, turns, in, out);
                                if (rows % 5_000 == 0) {
                                    ps.executeBatch();
                                }
                                if (rows % 200_000 == 0) {
                                    c.commit();
                                }
                            }
                        }
                    }
                }
                ps.executeBatch();
            }
            insertSums(c, idType, tenant, "usage_tenant_daily", List.of("model", "day", "finish_reason"),
                    tenantDaily);
            insertSums(c, idType, tenant, "usage_key_monthly", List.of("key_id", "model", "month", "finish_reason"),
                    keyMonthly);
            insertSums(c, idType, tenant, "usage_key_only_daily", List.of("key_id", "day", "finish_reason"),
                    keyOnlyDaily);
            insertSums(c, idType, tenant, "usage_key_only_monthly", List.of("key_id", "month", "finish_reason"),
                    keyOnlyMonthly);
            insertSums(c, idType, tenant, "usage_key_yearly", List.of("key_id", "model", "year", "finish_reason"),
                    keyYearly);
            insertSums(c, idType, tenant, "usage_key_only_yearly", List.of("key_id", "year", "finish_reason"),
                    keyOnlyYearly);
            c.commit();
            // VACUUM cannot run in a transaction block; vacuumed, as a year-old table would be, and so that
            // autovacuum does not set in on the new rows while the reports are measured
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute(sqlite ? "ANALYZE" : "VACUUM ANALYZE");
            }
        }
        return rows;
    }

    /** Writes one coarser rollup of the tenant: each key of {@code sums} holds the values of {@code columns}. */
    static void insertSums(Connection c, String idType, UUID tenant, String table, List<String> columns,
            Map<String, long[]> sums) throws SQLException {
        StringBuilder marks = new StringBuilder();
        for (String column : columns) {
            marks.append(column.equals("key_id") ? idType : "?").append(", ");
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (id, tenant_id, "
                + String.join(", ", columns) + ", turns, tokens_in, tokens_out) VALUES (" + idType + ", " + idType
                + ", " + marks + "?, ?, ?)")) {
            int n = 0;
            for (Map.Entry<String, long[]> e : sums.entrySet()) {
                String[] values = e.getKey().split("\\|");
                int i = 1;
                ps.setString(i++, UUID.randomUUID().toString());
                ps.setString(i++, tenant.toString());
                for (String v : values) {
                    ps.setString(i++, v);
                }
                for (long count : e.getValue()) {
                    ps.setLong(i++, count);
                }
                ps.addBatch();
                if (++n % 5_000 == 0) {
                    ps.executeBatch();
                }
            }
            ps.executeBatch();
        }
    }

    static void add(Map<String, long[]> sums, String key, long turns, long in, long out) {
        long[] s = sums.computeIfAbsent(key, k -> new long[3]);
        s[0] += turns;
        s[1] += in;
        s[2] += out;
    }

    /** p50 and p99 (ms) of GET /api/usage over the whole seeded range, one client then eight; and the item count. */
    static double[] reportLatency(String base, String key, String groupBy, int requests) throws Exception {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        String path = "/api/usage?from=" + today.minusDays(days - 1) + "&to=" + today
                + (groupBy.isEmpty() ? "" : "&groupBy=" + groupBy);
        int items = countItems(send(base, key, "GET", path, null, 200));
        for (int i = 0; i < Math.min(20, requests); i++) {
            send(base, key, "GET", path, null, 200);
        }
        List<Long> one = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            long t = System.nanoTime();
            send(base, key, "GET", path, null, 200);
            one.add((System.nanoTime() - t) / 1000);
        }
        List<Long> eight = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            futures.add(pool.submit(() -> {
                for (int i = 0; i < requests / 8; i++) {
                    long t = System.nanoTime();
                    send(base, key, "GET", path, null, 200);
                    eight.add((System.nanoTime() - t) / 1000);
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();
        return new double[] { pct(one, 50), pct(one, 99), pct(eight, 50), pct(eight, 99), items };
    }

    static int countItems(String body) {
        // items carry turns; the totals object carries one more
        Matcher m = Pattern.compile("\"turns\":").matcher(body);
        int n = -1;
        while (m.find()) {
            n++;
        }
        return n;
    }

    // ---------------------------------------------------------------- Parley and the fake upstream

    static final class Parley {
        Process process;
        String base;
        Path log;

        static Parley start(Path dir, String databaseUrl, Upstream upstream) throws Exception {
            Parley p = new Parley();
            int port = freePort();
            p.base = "http://127.0.0.1:" + port;
            p.log = dir.resolve("parley-" + System.nanoTime() + ".log");
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "@" + Path.of("src/main/jvm/parley.options").toAbsolutePath(), "-jar", Path.of(jar).toAbsolutePath().toString()).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(p.log.toFile());
            pb.environment().put("DATABASE_URL", databaseUrl);
            pb.environment().put("PORT", String.valueOf(port));
            pb.environment().put("PARLEY_BOOTSTRAP_API_KEY", ADMIN);
            pb.environment().put("PARLEY_UPSTREAM_1_URL", "http://127.0.0.1:" + upstream.port + "/v1");
            pb.environment().put("PARLEY_UPSTREAM_1_MODELS", "bench");
            pb.environment().put("PARLEY_SHUTDOWN_DRAIN_DELAY", "0s");
            p.process = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (true) {
                try {
                    if (HTTP.send(HttpRequest.newBuilder(URI.create(p.base + "/q/health/ready")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return p;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                if (System.nanoTime() > deadline || !p.process.isAlive()) {
                    throw new IllegalStateException("Parley did not start: " + Files.readString(p.log));
                }
                Thread.sleep(200);
            }
        }

        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

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

    /** A new tenant: its id, its first key, and that key's id. */
    static String[] createTenant(String base, String name) throws Exception {
        String body = send(base, ADMIN, "POST", "/api/admin/tenants", "{\"name\":\"" + name + "-" + System.nanoTime()
                + "\"}", 201);
        Matcher ids = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(body);
        ids.find();
        String tenantId = ids.group(1);
        ids.find();
        String keyId = ids.group(1);
        return new String[] { tenantId, field(body, "key"), keyId };
    }

    static String send(String base, String key, String method, String path, String body, int expected)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").header("Accept", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]+)\"").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        return m.group(1);
    }

    static Connection connect(String databaseUrl) throws Exception {
        if (databaseUrl.startsWith("sqlite:")) {
            return DriverManager.getConnection("jdbc:sqlite:" + databaseUrl.substring("sqlite:".length()));
        }
        URI u = URI.create(databaseUrl);
        String user = u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":", 2)[0];
        String password = u.getUserInfo() == null || !u.getUserInfo().contains(":") ? null
                : u.getUserInfo().split(":", 2)[1];
        return DriverManager.getConnection("jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432
                : u.getPort()) + u.getPath() + "?reWriteBatchedInserts=true", user, password);
    }

    static void admin(String sql) throws Exception {
        try (Connection c = connect(pgAdminUrl); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * A 95 % bootstrap interval of p99(on) - p99(off) in ms: both samples drawn again with replacement, 2,000 times.
     * How far one run's p99 difference can be from what the same load would show again.
     */
    static double[] p99DifferenceInterval(List<Long> off, List<Long> on) {
        if (off.isEmpty() || on.isEmpty()) {
            return new double[] { 0, 0 };
        }
        long[] a = off.stream().mapToLong(Long::longValue).toArray();
        long[] b = on.stream().mapToLong(Long::longValue).toArray();
        java.util.Random random = new java.util.Random(99);
        double[] diffs = new double[2_000];
        for (int i = 0; i < diffs.length; i++) {
            diffs[i] = (resampledP99(b, random) - resampledP99(a, random)) / 1000.0;
        }
        Arrays.sort(diffs);
        return new double[] { diffs[(int) (diffs.length * 0.025)], diffs[(int) (diffs.length * 0.975) - 1] };
    }

    static long resampledP99(long[] sample, java.util.Random random) {
        return resampledP99(List.of(sample), random);
    }

    /** The p99 of the runs' samples pooled, each run's drawn again with replacement from that run alone. */
    static long resampledP99(List<long[]> runs, java.util.Random random) {
        long[] s = new long[runs.stream().mapToInt(r -> r.length).sum()];
        int i = 0;
        for (long[] run : runs) {
            for (int j = 0; j < run.length; j++) {
                s[i++] = run[random.nextInt(run.length)];
            }
        }
        Arrays.sort(s);
        return s[rank(s.length, 99)];
    }

    /**
     * Every run's turns pooled per tenant: p50 and p99 without and with limits, their difference, and a 95 % bootstrap
     * interval of the p99 difference that resamples each run within itself (the runs stay as they were drawn).
     */
    static String pooled(String backend, List<Load[]> runs) {
        List<long[]> off = new ArrayList<>();
        List<long[]> on = new ArrayList<>();
        List<Long> allOff = new ArrayList<>();
        List<Long> allOn = new ArrayList<>();
        long turnsOff = 0;
        long turnsOn = 0;
        for (Load[] run : runs) {
            off.add(run[0].ttftMicros.stream().mapToLong(Long::longValue).toArray());
            on.add(run[1].ttftMicros.stream().mapToLong(Long::longValue).toArray());
            allOff.addAll(run[0].ttftMicros);
            allOn.addAll(run[1].ttftMicros);
            turnsOff += run[0].completed.get();
            turnsOn += run[1].completed.get();
        }
        java.util.Random random = new java.util.Random(99);
        double[] diffs = new double[2_000];
        for (int i = 0; i < diffs.length; i++) {
            diffs[i] = (resampledP99(on, random) - resampledP99(off, random)) / 1000.0;
        }
        Arrays.sort(diffs);
        return String.format(Locale.ROOT, """
                {
                  "backend": "%s", "pooledRuns": %d, "seconds": %d, "control": %s,
                  "off": {"turns": %d, "ttftMs": {"p50": %.1f, "p99": %.1f}},
                  "on":  {"turns": %d, "ttftMs": {"p50": %.1f, "p99": %.1f}},
                  "addedByLimitsMs": {"p50": %.1f, "p99": %.1f},
                  "addedP99Interval95Ms": [%.1f, %.1f]
                }""", backend, runs.size(), seconds, control, turnsOff, pct(allOff, 50), pct(allOff, 99), turnsOn,
                pct(allOn, 50), pct(allOn, 99), pct(allOn, 50) - pct(allOff, 50), pct(allOn, 99) - pct(allOff, 99),
                diffs[(int) (diffs.length * 0.025)], diffs[(int) (diffs.length * 0.975) - 1]);
    }

    /** The index of the p-th percentile in n sorted values (nearest rank). */
    static int rank(int n, double p) {
        return Math.max(0, (int) Math.ceil(p / 100.0 * n) - 1);
    }

    static double pct(List<Long> micros, double p) {
        if (micros.isEmpty()) {
            return -1;
        }
        List<Long> sorted = new ArrayList<>(micros);
        Collections.sort(sorted);
        return sorted.get(rank(sorted.size(), p)) / 1000.0;
    }

    static String json(String backend, Load off, Load on, long seeded, Map<String, double[]> reports) {
        double[] interval = p99DifferenceInterval(off.ttftMicros, on.ttftMicros);
        StringBuilder r = new StringBuilder();
        r.append(String.format(Locale.ROOT, """
                {
                  "backend": "%s",
                  "limits": {
                    "concurrency": %d, "seconds": %d,
                    "off": {"turns": %d, "errors": %s, "ttftMs": {"p50": %.1f, "p99": %.1f}},
                    "on":  {"turns": %d, "errors": %s, "ttftMs": {"p50": %.1f, "p99": %.1f}},
                    "addedByLimitsMs": {"p50": %.1f, "p99": %.1f},
                    "addedP99Interval95Ms": [%.1f, %.1f], "control": %s
                  },
                  "reports": {
                    "dailyRollupRows": %d, "keys": %d, "models": %d, "days": %d,
                """, backend, concurrency, seconds, off.completed.get(), off.errors, pct(off.ttftMicros, 50),
                pct(off.ttftMicros, 99), on.completed.get(), on.errors, pct(on.ttftMicros, 50), pct(on.ttftMicros, 99),
                pct(on.ttftMicros, 50) - pct(off.ttftMicros, 50), pct(on.ttftMicros, 99) - pct(off.ttftMicros, 99),
                interval[0], interval[1], control, seeded, keys, models, days));
        List<String> rows = new ArrayList<>();
        reports.forEach((groupBy, v) -> rows.add(String.format(Locale.ROOT,
                "    \"groupBy=%s\": {\"items\": %d, \"oneClientMs\": {\"p50\": %.1f, \"p99\": %.1f}, "
                        + "\"eightClientsMs\": {\"p50\": %.1f, \"p99\": %.1f}}",
                groupBy, (int) v[4], v[0], v[1], v[2], v[3])));
        r.append(String.join(",\n", rows)).append("\n  }\n}");
        return r.toString();
    }
}
