/*
 * SQLite write throughput: the physical baseline of this machine against Parley's write path, in one run.
 *
 *   java -cp "target/quarkus-app/lib/main/*" bench/WriteThroughput.java [--seconds 5] [--clients 1,16,64]
 *
 * (a) raw JDBC on a fresh SQLite file with Parley's settings (WAL, synchronous=NORMAL): one transaction per row,
 *     then 500 rows per transaction; single thread, no HTTP.
 * (b) Parley (the packaged jar on a fresh SQLite file): N concurrent HTTP clients each creating conversations as fast
 *     as they can; every 201 is one committed write that went through the single writer's group commit.
 * Prints one JSON document; see bench/README.md.
 */

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
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

public class WriteThroughput {

    static int seconds = 5;
    static int[] clients = { 1, 16, 64 };
    static String jar = "target/quarkus-app/quarkus-run.jar";
    static final String KEY = "bench-admin-key-0123456789";
    static String operationsPerCommit = "-1";

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
                case "--clients" -> clients = java.util.Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt)
                        .toArray();
                case "--jar" -> jar = args[i + 1];
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        Path dir = Files.createTempDirectory("parley-write-bench");
        double perRow = raw(dir.resolve("raw1.db"), 1);
        double batched = raw(dir.resolve("raw500.db"), 500);

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + Path.of("src/main/jvm/parley.options").toAbsolutePath(), "-jar", Path.of(jar).toAbsolutePath().toString()).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("parley.log").toFile());
        pb.environment().put("DATABASE_URL", "sqlite:" + dir.resolve("parley.db"));
        pb.environment().put("PORT", String.valueOf(port));
        pb.environment().put("PARLEY_BOOTSTRAP_API_KEY", KEY);
        Process parley = pb.start();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String base = "http://127.0.0.1:" + port;
        StringBuilder api = new StringBuilder();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (true) {
                try {
                    if (http.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        break;
                    }
                } catch (Exception e) {
                    // not listening yet
                }
                if (System.nanoTime() > deadline || !parley.isAlive()) {
                    throw new IllegalStateException("Parley did not start: " + Files.readString(dir.resolve("parley.log")));
                }
                Thread.sleep(200);
            }
            load(http, base, 16, seconds); // warm-up (JIT)
            for (int n : clients) {
                double rate = load(http, base, n, seconds);
                api.append(api.length() == 0 ? "" : ",\n").append(String.format(Locale.ROOT,
                        "    {\"clients\": %d, \"writesPerSec\": %.1f, \"vsRawPerRow\": %.3f, \"vsRawBatched\": %.3f}",
                        n, rate, rate / perRow, rate / batched));
            }
            String diag = http.send(HttpRequest.newBuilder(URI.create(base + "/q/parley/diagnostics"))
                    .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString()).body();
            var m = java.util.regex.Pattern.compile("\"operationsPerCommit\":([0-9.]+)").matcher(diag);
            operationsPerCommit = m.find() ? m.group(1) : "-1";
        } finally {
            parley.destroy();
            parley.waitFor(30, TimeUnit.SECONDS);
        }
        System.out.printf(Locale.ROOT, """
                {
                  "seconds": %d,
                  "rawJdbc": {"rowsPerSecOneTransactionPerRow": %.1f, "rowsPerSecBatched500": %.1f},
                  "parleyApi": [
                %s
                  ],
                  "parleyWriterOperationsPerCommit": %s
                }%n""", seconds, perRow, batched, api, operationsPerCommit);
    }

    /** Rows per second inserting 1 KB messages-like rows, {@code perTransaction} rows per commit. */
    static double raw(Path file, int perTransaction) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL");
                st.execute("PRAGMA synchronous=NORMAL");
                st.execute("CREATE TABLE messages (id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, content TEXT "
                        + "NOT NULL, created_at INTEGER NOT NULL)");
            }
            String content = "x".repeat(1000);
            long rows = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            long start = System.nanoTime();
            try (Statement st = c.createStatement(); PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO messages VALUES (?, ?, ?, ?)")) {
                while (System.nanoTime() < end) {
                    st.execute("BEGIN IMMEDIATE");
                    for (int i = 0; i < perTransaction; i++) {
                        ps.setString(1, UUID.randomUUID().toString());
                        ps.setString(2, "c");
                        ps.setString(3, content);
                        ps.setLong(4, System.currentTimeMillis());
                        ps.executeUpdate();
                    }
                    st.execute("COMMIT");
                    rows += perTransaction;
                }
            }
            return rows / ((System.nanoTime() - start) / 1e9);
        }
    }

    /** Committed writes per second from {@code n} concurrent clients creating conversations. */
    static double load(HttpClient http, String base, int n, int secs) throws Exception {
        AtomicLong ok = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(secs);
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/api/conversations"))
                        .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"" + "x".repeat(200) + "\"}")).build();
                while (System.nanoTime() < end) {
                    try {
                        if (http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() == 201) {
                            ok.incrementAndGet();
                        }
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return ok.get() / ((System.nanoTime() - start) / 1e9);
    }
}
