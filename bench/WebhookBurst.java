/*
 * Stripe webhook bursts: exactly-once under duplicates and concurrency, and what it costs, in one run per setup.
 *
 *   java -cp "target/quarkus-app/lib/main/*" bench/WebhookBurst.java \
 *        [--setups sqlite,postgres,replicas] [--pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres] \
 *        [--deliveries 1000] [--duplicates 0.3] [--concurrency 200]
 *
 * For each setup (one process on a fresh SQLite file; one process on a scratch PostgreSQL database; three processes
 * sharing one scratch PostgreSQL database) it starts the packaged Parley with a webhook secret and two plans, creates
 * the tenants, then, from --concurrency client threads:
 *   warm-up:  deliveries of separate events, not measured (a fresh JVM is not representative);
 *   baseline: the measured deliveries with a wrong signature: HTTP, body, HMAC, a 400, no database;
 *   burst:    the measured deliveries, signed: --deliveries requests of which --duplicates are redeliveries of events
 *             in the same burst, shuffled, so that copies of one event arrive at the same time.
 * Afterwards it checks the database: every distinct event stored once, answered as new exactly once, no event with
 * two transitions, every subscription in the state its newest event says. Prints one JSON document per setup.
 */

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
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class WebhookBurst {

    static List<String> setups = List.of("sqlite", "postgres", "replicas");
    static String pgAdminUrl = "postgresql://postgres@127.0.0.1:5432/postgres";
    static int deliveries = 1000;
    static double duplicateShare = 0.3;
    static int concurrency = 200;
    static int eventsPerSubscription = 10;
    static String jar = "target/quarkus-app/quarkus-run.jar";
    static String parleyJavaOpts = "@" + Path.of("src/main/jvm/parley.options").toAbsolutePath();

    static final String KEY = "bench-admin-key-0123456789";
    static final String SECRET = "whsec_bench_0123456789abcdef0123";
    static final String PRICE = "price_1QbenchPro000000000000";
    static final String API_VERSION = "2025-11-17.clover";
    static final SecureRandom RANDOM = new SecureRandom();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--setups" -> setups = Arrays.asList(args[i + 1].split(","));
                case "--pg-admin-url" -> pgAdminUrl = args[i + 1];
                case "--deliveries" -> deliveries = Integer.parseInt(args[i + 1]);
                case "--duplicates" -> duplicateShare = Double.parseDouble(args[i + 1]);
                case "--concurrency" -> concurrency = Integer.parseInt(args[i + 1]);
                case "--jar" -> jar = args[i + 1];
                case "--parley-java-opts" -> parleyJavaOpts = args[i + 1];
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        List<String> reports = new ArrayList<>();
        for (String setup : setups) {
            reports.add(run(setup.trim()));
        }
        System.out.println("[\n" + String.join(",\n", reports) + "\n]");
    }

    // ---------------------------------------------------------------- one setup

    static String run(String setup) throws Exception {
        Path dir = Files.createTempDirectory("parley-webhook-bench");
        String scratch = null;
        String databaseUrl;
        int processes;
        switch (setup) {
            case "sqlite" -> {
                databaseUrl = "sqlite:" + dir.resolve("parley.db");
                processes = 1;
            }
            case "postgres", "replicas" -> {
                scratch = "parley_bench_webhooks_" + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE);
                admin("CREATE DATABASE " + scratch);
                URI a = URI.create(pgAdminUrl);
                databaseUrl = a.getScheme() + "://" + (a.getRawUserInfo() == null ? "" : a.getRawUserInfo() + "@")
                        + a.getHost() + ":" + (a.getPort() < 0 ? 5432 : a.getPort()) + "/" + scratch;
                processes = setup.equals("replicas") ? 3 : 1;
            }
            default -> throw new IllegalArgumentException("unknown setup " + setup);
        }
        List<Process> parleys = new ArrayList<>();
        List<String> bases = new ArrayList<>();
        try {
            for (int i = 0; i < processes; i++) {
                int port = freePort();
                parleys.add(start(dir, databaseUrl, port, i));
                bases.add("http://127.0.0.1:" + port);
            }
            for (int i = 0; i < processes; i++) {
                awaitReady(bases.get(i), parleys.get(i), dir.resolve("parley-" + i + ".log"));
            }

            int distinct = (int) Math.round(deliveries * (1 - duplicateShare));
            int subscriptions = (distinct + eventsPerSubscription - 1) / eventsPerSubscription;
            List<Life> lives = new ArrayList<>();
            for (int i = 0; i < subscriptions; i++) {
                lives.add(Life.of(createTenant(bases.get(i % bases.size())), eventsPerSubscription));
            }
            List<Event> events = new ArrayList<>();
            lives.forEach(l -> events.addAll(l.events));
            List<Event> measured = new ArrayList<>(events.subList(0, distinct));
            Random random = new Random(42);
            List<Event> burst = new ArrayList<>(measured);
            while (burst.size() < deliveries) {
                burst.add(measured.get(random.nextInt(measured.size())));
            }
            Collections.shuffle(burst, random);

            List<Event> warmup = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                warmup.addAll(Life.of(createTenant(bases.get(i % bases.size())), eventsPerSubscription).events);
            }
            fire(bases, warmup, true);
            fire(bases, burst, false); // warm the rejection path too
            Result baseline = fire(bases, burst, false);
            Result webhook = fire(bases, burst, true);

            Check check = check(databaseUrl, dir, measured, lives, bases.get(0), webhook);
            return report(setup, processes, distinct, burst.size(), baseline, webhook, check);
        } finally {
            for (Process p : parleys) {
                p.destroy();
            }
            for (Process p : parleys) {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            if (scratch != null) {
                admin("DROP DATABASE IF EXISTS " + scratch);
            }
        }
    }

    static Process start(Path dir, String databaseUrl, int port, int index) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        if (!parleyJavaOpts.isBlank()) {
            command.addAll(Arrays.asList(parleyJavaOpts.trim().replace("{n}", String.valueOf(index)).split("\\s+")));
        }
        command.addAll(List.of("-jar", Path.of(jar).toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("parley-" + index + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("DATABASE_URL", databaseUrl);
        env.put("PORT", String.valueOf(port));
        env.put("PARLEY_BOOTSTRAP_API_KEY", KEY);
        env.put("PARLEY_STRIPE_WEBHOOK_SECRET", SECRET);
        env.put("PARLEY_PLAN_1_PRICE", PRICE);
        env.put("PARLEY_PLAN_1_MONTHLY_TOKENS", "1000000");
        env.put("PARLEY_FREE_MONTHLY_TOKENS", "10000");
        env.put("PARLEY_SHUTDOWN_DRAIN_DELAY", "0s");
        return pb.start();
    }

    static void awaitReady(String base, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (Exception e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline || !p.isAlive()) {
                throw new IllegalStateException("Parley did not start: " + Files.readString(log));
            }
            Thread.sleep(200);
        }
    }

    static String createTenant(String base) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/admin/tenants"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"bench-" + RANDOM.nextLong() + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("cannot create a tenant: " + r.statusCode() + " " + r.body());
        }
        Matcher m = Pattern.compile("\"tenant\":\\{\"id\":\"([^\"]+)\"").matcher(r.body());
        if (!m.find()) {
            throw new IllegalStateException("no tenant id in " + r.body());
        }
        return m.group(1);
    }

    // ---------------------------------------------------------------- load

    record Result(int requests, double seconds, double[] latenciesMs, Map<String, Integer> statuses,
            Map<String, Integer> answeredNew) {
        double perSec() {
            return requests / seconds;
        }

        double percentile(double p) {
            double[] sorted = latenciesMs.clone();
            Arrays.sort(sorted);
            return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
        }

        int count5xx() {
            return statuses.entrySet().stream().filter(e -> e.getKey().startsWith("5") || e.getKey().startsWith("io"))
                    .mapToInt(Map.Entry::getValue).sum();
        }
    }

    /** All deliveries from {@code concurrency} threads, round-robin over the processes; signed or wrongly signed. */
    static Result fire(List<String> bases, List<Event> burst, boolean signed) throws Exception {
        ConcurrentLinkedQueue<Integer> queue = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < burst.size(); i++) {
            queue.add(i);
        }
        double[] latencies = new double[burst.size()];
        Map<String, Integer> statuses = new ConcurrentHashMap<>();
        Map<String, Integer> answeredNew = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        for (int t = 0; t < concurrency; t++) {
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (Integer i = queue.poll(); i != null; i = queue.poll()) {
                    Event e = burst.get(i);
                    long ts = System.currentTimeMillis() / 1000;
                    String signature = "t=" + ts + ",v1=" + hmac(signed ? SECRET : "whsec_wrong_000000000000", ts,
                            e.payload);
                    HttpRequest request = HttpRequest.newBuilder(URI.create(bases.get(i % bases.size())
                            + "/webhooks/stripe")).header("Content-Type", "application/json; charset=utf-8")
                            .header("Stripe-Signature", signature)
                            .POST(HttpRequest.BodyPublishers.ofString(e.payload)).build();
                    long start = System.nanoTime();
                    String status;
                    try {
                        HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                        status = String.valueOf(r.statusCode());
                        if (r.statusCode() == 200 && r.body().contains("\"duplicate\":false")) {
                            answeredNew.merge(e.id, 1, Integer::sum);
                        }
                    } catch (Exception ex) {
                        status = "io:" + ex.getClass().getSimpleName();
                    }
                    latencies[i] = (System.nanoTime() - start) / 1e6;
                    statuses.merge(status, 1, Integer::sum);
                }
            });
            thread.start();
            threads.add(thread);
        }
        long start = System.nanoTime();
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(burst.size(), seconds, latencies, new TreeMap<>(statuses), answeredNew);
    }

    // ---------------------------------------------------------------- checks

    record Check(long storedEvents, int answeredNewOnce, int answeredNewTwice, long eventsWithTwoTransitions,
            long transitionChainBreaks, int wrongFinalStates) {
    }

    static Check check(String databaseUrl, Path dir, List<Event> measured, List<Life> lives, String base,
            Result webhook) throws Exception {
        int once = 0;
        int twice = 0;
        for (Event e : measured) {
            int n = webhook.answeredNew().getOrDefault(e.id, 0);
            if (n == 1) {
                once++;
            } else if (n > 1) {
                twice++;
            }
        }
        long stored;
        long doubled;
        long breaks = 0;
        try (Connection c = connect(databaseUrl); Statement st = c.createStatement()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM stripe_events WHERE event_id = ?")) {
                stored = 0;
                for (Event e : measured) {
                    ps.setString(1, e.id);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        stored += rs.getLong(1);
                    }
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM (SELECT event_id FROM billing_transitions "
                    + "GROUP BY event_id HAVING count(*) > 1) twice")) {
                rs.next();
                doubled = rs.getLong(1);
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT from_status, to_status FROM billing_transitions "
                    + "WHERE subscription_id = ? ORDER BY applied_at, id")) {
                for (Life l : lives) {
                    ps.setString(1, l.subscriptionId);
                    String previous = null;
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            if (!java.util.Objects.equals(rs.getString(1), previous)) {
                                breaks++;
                            }
                            previous = rs.getString(2);
                        }
                    }
                }
            }
        }
        int wrong = 0;
        Map<String, Event> newestMeasured = new HashMap<>();
        for (Event e : measured) {
            newestMeasured.put(e.subscriptionId, e); // events are in creation order within a life
        }
        for (Life l : lives) {
            Event newest = newestMeasured.get(l.subscriptionId);
            if (newest == null) {
                continue;
            }
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/admin/tenants/"
                    + l.tenantId + "/subscription")).header("Authorization", "Bearer " + KEY).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200 || !r.body().contains("\"status\":\"" + newest.expectedStatus + "\"")) {
                wrong++;
            }
        }
        return new Check(stored, once, twice, doubled, breaks, wrong);
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
                : u.getPort()) + u.getPath(), user, password);
    }

    static void admin(String sql) throws Exception {
        try (Connection c = connect(pgAdminUrl); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    static String report(String setup, int processes, int distinct, int requests, Result baseline, Result webhook,
            Check check) {
        return String.format(Locale.ROOT, """
                  {
                    "setup": "%s", "processes": %d, "concurrency": %d,
                    "deliveries": %d, "distinctEvents": %d, "duplicateDeliveries": %d,
                    "baseline": {"what": "same deliveries, wrong signature (400, no database)", "statuses": %s,
                                 "perSec": %.1f, "latencyMs": {"p50": %.2f, "p99": %.2f}},
                    "webhook": {"statuses": %s, "http5xx": %d, "perSec": %.1f,
                                "latencyMs": {"p50": %.2f, "p99": %.2f, "max": %.2f}},
                    "ratios": {"p50VsBaseline": %.2f, "p99VsBaseline": %.2f, "perSecVsBaseline": %.2f},
                    "exactlyOnce": {"eventsStored": %d, "answeredNewOnce": %d, "answeredNewMoreThanOnce": %d,
                                    "eventsWithTwoTransitions": %d, "transitionChainBreaks": %d,
                                    "subscriptionsInAWrongFinalState": %d}
                  }""", setup, processes, concurrency, requests, distinct, requests - distinct,
                json(baseline.statuses()), baseline.perSec(), baseline.percentile(0.5), baseline.percentile(0.99),
                json(webhook.statuses()), webhook.count5xx(), webhook.perSec(), webhook.percentile(0.5),
                webhook.percentile(0.99), webhook.percentile(1.0), webhook.percentile(0.5) / baseline.percentile(0.5),
                webhook.percentile(0.99) / baseline.percentile(0.99), webhook.perSec() / baseline.perSec(),
                check.storedEvents(), check.answeredNewOnce(), check.answeredNewTwice(),
                check.eventsWithTwoTransitions(), check.transitionChainBreaks(), check.wrongFinalStates());
    }

    static String json(Map<String, Integer> counts) {
        StringBuilder sb = new StringBuilder("{");
        counts.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append('"').append(k).append("\": ")
                .append(v));
        return sb.append('}').toString();
    }

    // ---------------------------------------------------------------- events

    record Event(String id, String subscriptionId, String expectedStatus, String payload) {
    }

    /** One subscription's life: created, paid, a failed renewal, recovered, paused, resumed, ... one per second. */
    record Life(String tenantId, String subscriptionId, List<Event> events) {
        static final String[][] STEPS = {
                { "customer.subscription.created", "incomplete" }, { "invoice.paid", "active" },
                { "customer.subscription.updated", "active" }, { "invoice.payment_failed", "past_due" },
                { "customer.subscription.updated", "past_due" }, { "invoice.paid", "active" },
                { "customer.subscription.updated", "active" }, { "customer.subscription.paused", "paused" },
                { "customer.subscription.resumed", "active" }, { "customer.subscription.updated", "active" } };

        static Life of(String tenantId, int n) {
            String subscription = id("sub");
            String customer = id("cus");
            long t0 = System.currentTimeMillis() / 1000 - 3600;
            List<Event> events = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String[] step = STEPS[i % STEPS.length];
                String eventId = id("evt");
                long created = t0 + i;
                String object = step[0].startsWith("invoice") ? invoice(subscription, customer, tenantId, step[0],
                        created) : subscription(subscription, customer, tenantId, step[1], created);
                events.add(new Event(eventId, subscription, step[1], "{\"id\":\"" + eventId + "\",\"object\":\"event\","
                        + "\"api_version\":\"" + API_VERSION + "\",\"created\":" + created + ",\"data\":{\"object\":"
                        + object + "},\"livemode\":false,\"pending_webhooks\":1,\"request\":{\"id\":null,"
                        + "\"idempotency_key\":null},\"type\":\"" + step[0] + "\"}"));
            }
            return new Life(tenantId, subscription, events);
        }

        static String subscription(String id, String customer, String tenant, String status, long created) {
            return "{\"id\":\"" + id + "\",\"object\":\"subscription\",\"billing_cycle_anchor\":" + created
                    + ",\"cancel_at_period_end\":false,\"collection_method\":\"charge_automatically\",\"created\":"
                    + created + ",\"currency\":\"eur\",\"customer\":\"" + customer + "\",\"items\":{\"object\":"
                    + "\"list\",\"data\":[{\"id\":\"" + id("si") + "\",\"object\":\"subscription_item\","
                    + "\"current_period_end\":" + (created + 30 * 86400) + ",\"current_period_start\":" + created
                    + ",\"price\":{\"id\":\"" + PRICE + "\",\"object\":\"price\",\"active\":true,\"currency\":\"eur\","
                    + "\"product\":\"prod_bench\",\"recurring\":{\"interval\":\"month\",\"interval_count\":1},"
                    + "\"type\":\"recurring\",\"unit_amount\":2900},\"quantity\":1,\"subscription\":\"" + id
                    + "\"}],\"has_more\":false,\"total_count\":1,\"url\":\"/v1/subscription_items\"},"
                    + "\"latest_invoice\":\"" + id("in") + "\",\"livemode\":false,\"metadata\":{\"parley_tenant_id\":\""
                    + tenant + "\"},\"start_date\":" + created + ",\"status\":\"" + status + "\"}";
        }

        static String invoice(String subscription, String customer, String tenant, String type, long created) {
            boolean paid = type.equals("invoice.paid");
            return "{\"id\":\"" + id("in") + "\",\"object\":\"invoice\",\"amount_due\":2900,\"amount_paid\":"
                    + (paid ? 2900 : 0) + ",\"attempt_count\":1,\"billing_reason\":\"subscription_cycle\","
                    + "\"created\":" + created + ",\"currency\":\"eur\",\"customer\":\"" + customer + "\","
                    + "\"livemode\":false,\"parent\":{\"quote_details\":null,\"subscription_details\":{\"metadata\":"
                    + "{\"parley_tenant_id\":\"" + tenant + "\"},\"subscription\":\"" + subscription + "\"},"
                    + "\"type\":\"subscription_details\"},\"status\":\"" + (paid ? "paid" : "open") + "\","
                    + "\"total\":2900}";
        }
    }

    static String id(String prefix) {
        String alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        StringBuilder sb = new StringBuilder(prefix).append("_1Q");
        for (int i = 0; i < 22; i++) {
            sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    static String hmac(String secret, long timestamp, String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return java.util.HexFormat.of().formatHex(mac.doFinal((timestamp + "." + payload)
                    .getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
