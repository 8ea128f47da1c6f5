import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Longest write stall during an online backup: a running Parley on a large SQLite database takes API writes from
 * several clients; `parley backup` runs in the middle. Write latencies while the backup runs are compared with the
 * same load just before it (the baseline, same run). Prints one JSON document. See bench/README.md.
 *
 * java -cp "target/quarkus-app/lib/main/*" bench/BackupStall.java [--size-mb 1024] [--clients 8]
 *      [--baseline-seconds 10] [--jar target/quarkus-app/quarkus-run.jar] [--truncate-interval 60s]
 */
public class BackupStall {

    record Sample(long startNanos, long endNanos, int status) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        long sizeMb = Long.parseLong(opt.getOrDefault("size-mb", "1024"));
        int clients = Integer.parseInt(opt.getOrDefault("clients", "8"));
        int baselineSeconds = Integer.parseInt(opt.getOrDefault("baseline-seconds", "10"));
        String jar = Path.of(opt.getOrDefault("jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath().toString();
        Path dir = Files.createTempDirectory("parley-backup-bench");
        Path db = dir.resolve("big.db");
        String key = "bench-admin-key-" + UUID.randomUUID();

        run(Map.of("DATABASE_URL", "sqlite:" + db), "java", "-jar", jar, "migrate");
        generate(db, sizeMb * 1024 * 1024);
        long dbBytes = Files.size(db);

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", jar).redirectErrorStream(true)
                .redirectOutput(dir.resolve("server.log").toFile());
        pb.environment().put("DATABASE_URL", "sqlite:" + db);
        pb.environment().put("PORT", String.valueOf(port));
        pb.environment().put("PARLEY_BOOTSTRAP_API_KEY", key);
        pb.environment().put("PARLEY_SQLITE_TRUNCATE_INTERVAL", opt.getOrDefault("truncate-interval", "60s"));
        Process server = pb.start();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String base = "http://localhost:" + port;
        try {
            awaitReady(http, base + "/q/health/ready");
            ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> load = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                Thread t = new Thread(() -> {
                    HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/api/conversations"))
                            .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"during backup\"}")).build();
                    while (!stop.get()) {
                        long s = System.nanoTime();
                        int status;
                        try {
                            status = http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
                        } catch (Exception e) {
                            status = -1;
                        }
                        samples.add(new Sample(s, System.nanoTime(), status));
                    }
                });
                t.start();
                load.add(t);
            }
            Thread.sleep(3000); // warm-up, not counted
            long baselineStart = System.nanoTime();
            Thread.sleep(baselineSeconds * 1000L);
            long backupStart = System.nanoTime();
            String out = run(Map.of("DATABASE_URL", "sqlite:" + db), "java", "-jar", jar, "backup",
                    "--output", dir.resolve("big.bak").toString());
            long backupEnd = System.nanoTime();
            Thread.sleep(1000);
            stop.set(true);
            for (Thread t : load) {
                t.join();
            }
            String ready = http.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200 ? "UP" : "DOWN";
            Stats before = Stats.of(samples, baselineStart, backupStart);
            Stats during = Stats.of(samples, backupStart, backupEnd);
            System.out.printf("""
                    {"databaseBytes": %d, "backupBytes": %d, "backupSeconds": %.1f, "clients": %d,
                     "baseline": %s,
                     "duringBackup": %s,
                     "maxLatencyRatio": %.2f, "throughputRatio": %.3f, "readinessAfter": "%s",
                     "backupOutput": "%s"}
                    """, dbBytes, Files.size(dir.resolve("big.bak")), (backupEnd - backupStart) / 1e9, clients,
                    before.json(), during.json(), during.maxMs / Math.max(before.maxMs, 0.001),
                    during.perSec / Math.max(before.perSec, 0.001), ready, out.trim().replace("\"", "'"));
        } finally {
            server.destroy();
            server.waitFor();
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    record Stats(long writes, long failed, double perSec, double p50Ms, double p99Ms, double maxMs) {
        static Stats of(ConcurrentLinkedQueue<Sample> all, long from, long to) {
            List<Sample> in = all.stream().filter(s -> s.startNanos >= from && s.startNanos < to).toList();
            List<Double> ms = in.stream().map(s -> (s.endNanos - s.startNanos) / 1e6).sorted().toList();
            long failed = in.stream().filter(s -> s.status != 201).count();
            double seconds = (to - from) / 1e9;
            return new Stats(in.size(), failed, in.size() / seconds, pct(ms, 0.50), pct(ms, 0.99),
                    ms.isEmpty() ? 0 : ms.get(ms.size() - 1));
        }

        static double pct(List<Double> sorted, double p) {
            return sorted.isEmpty() ? 0 : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
        }

        String json() {
            return String.format("{\"writes\": %d, \"failed\": %d, \"writesPerSec\": %.0f, \"p50Ms\": %.1f, "
                    + "\"p99Ms\": %.1f, \"maxMs\": %.1f}", writes, failed, perSec, p50Ms, p99Ms, maxMs);
        }
    }

    static void generate(Path db, long bytes) throws Exception {
        Random random = new Random(7);
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 4000) {
            sb.append(Long.toString(random.nextLong(), 36)).append(' ');
        }
        String text = sb.toString();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db + "?journal_mode=WAL")) {
            c.setAutoCommit(false);
            String tenant = UUID.randomUUID().toString();
            long now = System.currentTimeMillis() * 1000;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO tenants VALUES (?, 'bench', ?)")) {
                ps.setString(1, tenant);
                ps.setLong(2, now);
                ps.executeUpdate();
            }
            try (PreparedStatement conv = c.prepareStatement("INSERT INTO conversations (id, tenant_id, title, model, "
                    + "archived, created_at, updated_at) VALUES (?, ?, 'big', 'demo', 0, ?, ?)");
                    PreparedStatement msg = c.prepareStatement(
                            "INSERT INTO messages VALUES (?, ?, ?, 'user', ?, 1, 1, NULL, ?)")) {
                long k = 0;
                while (Files.size(db) + Files.size(Path.of(db + "-wal")) < bytes) {
                    String id = UUID.randomUUID().toString();
                    conv.setString(1, id);
                    conv.setString(2, tenant);
                    conv.setLong(3, now + k);
                    conv.setLong(4, now + k);
                    conv.executeUpdate();
                    for (int j = 0; j < 50; j++, k++) {
                        msg.setString(1, UUID.randomUUID().toString());
                        msg.setString(2, tenant);
                        msg.setString(3, id);
                        int start = random.nextInt(2000);
                        msg.setString(4, text.substring(start, start + 1500 + random.nextInt(500)));
                        msg.setLong(5, now + k);
                        msg.addBatch();
                    }
                    msg.executeBatch();
                    c.commit();
                }
            }
            try (var st = c.createStatement()) {
                c.setAutoCommit(true);
                st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
            }
        }
    }

    static void awaitReady(HttpClient http, String url) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (Exception e) {
                // not up yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Parley did not become ready");
    }

    static String run(Map<String, String> env, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("DATABASE_URL");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
        }
        return out;
    }
}
