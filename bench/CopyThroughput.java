import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Copy throughput: `parley copy-data` from SQLite to PostgreSQL against a plain `psql \copy` of the same rows into the
 * same schema, measured in the same run. Prints one JSON document. See bench/README.md.
 *
 * java -cp "target/quarkus-app/lib/main/*" bench/CopyThroughput.java [--messages 1000000]
 *      [--pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres] [--jar target/quarkus-app/quarkus-run.jar]
 */
public class CopyThroughput {

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int messages = Integer.parseInt(opt.getOrDefault("messages", "1000000"));
        int perConversation = 20;
        String admin = opt.getOrDefault("pg-admin-url", "postgresql://postgres@127.0.0.1:5432/postgres");
        String jar = Path.of(opt.getOrDefault("jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath().toString();
        Path dir = Files.createTempDirectory("parley-copy-bench");
        Path source = dir.resolve("source.db");

        run(Map.of("DATABASE_URL", "sqlite:" + source), "java", "-jar", jar, "migrate");
        long genStart = System.nanoTime();
        int conversations = generate(source, messages, perConversation);
        double genSeconds = (System.nanoTime() - genStart) / 1e9;
        long totalRows = 1 + conversations + messages;

        String stamp = Long.toString(System.currentTimeMillis());
        String copyDb = "bench_copy_" + stamp;
        String psqlDb = "bench_psql_" + stamp;
        createDatabase(admin, copyDb);
        createDatabase(admin, psqlDb);
        String copyUrl = withDatabase(admin, copyDb);
        String psqlUrl = withDatabase(admin, psqlDb);
        try {
            // Parley: the whole command, and the copy phase it reports itself (without JVM start, schema, verification)
            long start = System.nanoTime();
            String out = run(Map.of(), "java", "-jar", jar, "copy-data", "--from", "sqlite:" + source, "--to",
                    copyUrl, "--progress", "none");
            double parleyTotal = (System.nanoTime() - start) / 1e9;
            Matcher m = Pattern.compile("Copied ([\\d,]+) rows in ([\\d.]+) s").matcher(out);
            if (!m.find() || !out.contains("Verified")) {
                throw new IllegalStateException("copy-data did not report a verified copy:\n" + out);
            }
            long copied = Long.parseLong(m.group(1).replace(",", ""));
            double copySeconds = Double.parseDouble(m.group(2));

            // Baseline: the same rows exported to CSV (not timed), then one psql session of \copy (timed)
            run(Map.of("DATABASE_URL", psqlUrl), "java", "-jar", jar, "migrate");
            export(source, dir);
            List<String> psql = new ArrayList<>(List.of("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", libpq(psqlUrl)));
            for (String t : List.of("tenants", "conversations", "messages")) {
                psql.add("-c");
                psql.add("\\copy " + t + " from '" + dir.resolve(t + ".csv") + "' with (format csv)");
            }
            long b0 = System.nanoTime();
            run(Map.of(), psql.toArray(String[]::new));
            double baselineSeconds = (System.nanoTime() - b0) / 1e9;
            long baselineRows = count(psqlUrl);
            long copyRows = count(copyUrl);
            if (baselineRows != totalRows || copyRows != totalRows) {
                throw new IllegalStateException("row counts differ: expected " + totalRows + ", psql " + baselineRows
                        + ", parley " + copyRows);
            }
            double parleyRate = copied / copySeconds;
            double baselineRate = totalRows / baselineSeconds;
            System.out.printf("""
                    {"messages": %d, "rows": %d, "sourceBytes": %d, "generateSeconds": %.1f,
                     "baseline": {"tool": "psql \\\\copy (csv)", "seconds": %.2f, "rowsPerSec": %.0f},
                     "parley": {"copySeconds": %.2f, "rowsPerSec": %.0f, "commandSeconds": %.2f,
                                "commandRowsPerSec": %.0f, "note": "command = JVM start + schema + copy + verification"},
                     "ratio": %.3f, "ratioWholeCommand": %.3f}
                    """, messages, totalRows, Files.size(source), genSeconds, baselineSeconds, baselineRate,
                    copySeconds, parleyRate, parleyTotal, totalRows / parleyTotal, parleyRate / baselineRate,
                    (totalRows / parleyTotal) / baselineRate);
        } finally {
            dropDatabase(admin, copyDb);
            dropDatabase(admin, psqlDb);
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    static int generate(Path db, int messages, int perConversation) throws Exception {
        Random random = new Random(42);
        String words = "the quick brown fox jumps over a lazy dog while parley streams tokens to many clients ";
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            c.setAutoCommit(false);
            String tenant = UUID.randomUUID().toString();
            long now = System.currentTimeMillis() * 1000;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO tenants VALUES (?, 'bench', ?)")) {
                ps.setString(1, tenant);
                ps.setLong(2, now);
                ps.executeUpdate();
            }
            int conversations = (messages + perConversation - 1) / perConversation;
            try (PreparedStatement conv = c.prepareStatement("INSERT INTO conversations (id, tenant_id, title, model, "
                    + "archived, created_at, updated_at, metadata) VALUES (?, ?, ?, 'demo', 0, ?, ?, ?)");
                    PreparedStatement msg = c.prepareStatement("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                int written = 0;
                for (int k = 0; k < conversations; k++) {
                    String id = uuid7(now + k);
                    conv.setString(1, id);
                    conv.setString(2, tenant);
                    conv.setString(3, "Conversation " + k);
                    conv.setLong(4, now + k);
                    conv.setLong(5, now + k);
                    conv.setString(6, k % 4 == 0 ? "{\"project\":\"p" + k % 17 + "\",\"tags\":[\"a\",\"b\"]}" : null);
                    conv.addBatch();
                    for (int j = 0; j < perConversation && written < messages; j++, written++) {
                        int start = random.nextInt(words.length() / 2);
                        msg.setString(1, uuid7(now + written));
                        msg.setString(2, tenant);
                        msg.setString(3, id);
                        msg.setString(4, j % 2 == 0 ? "user" : "assistant");
                        msg.setString(5, (words.substring(start) + words).repeat(2));
                        msg.setInt(6, j % 2 == 0 ? 12 : 0);
                        msg.setInt(7, j % 2 == 0 ? 0 : 40);
                        msg.setString(8, j % 2 == 0 ? null : "stop");
                        msg.setLong(9, now + written);
                        msg.addBatch();
                    }
                    if (k % 500 == 499) {
                        conv.executeBatch();
                        msg.executeBatch();
                        c.commit();
                    }
                }
                conv.executeBatch();
                msg.executeBatch();
                c.commit();
            }
            return conversations;
        }
    }

    /** A UUIDv7-shaped id ordered by the given microsecond value, as Parley generates them. */
    static String uuid7(long micros) {
        long ms = micros / 1000;
        long msb = (ms << 16) | 0x7000L | (micros % 1000);
        long lsb = 0x8000000000000000L | (UUID.randomUUID().getLeastSignificantBits() & 0x3fffffffffffffffL);
        return new UUID(msb, lsb).toString();
    }

    static void export(Path db, Path dir) throws Exception {
        String ts = "strftime('%Y-%m-%d %H:%M:%S', {c} / 1000000, 'unixepoch') || '.' || printf('%06d', {c} % 1000000)"
                + " || '+00'";
        Map<String, String> queries = Map.of(
                "tenants", "SELECT id, name, " + ts.replace("{c}", "created_at") + " FROM tenants",
                "conversations", "SELECT id, tenant_id, title, model, CASE archived WHEN 1 THEN 't' ELSE 'f' END, "
                        + ts.replace("{c}", "created_at") + ", " + ts.replace("{c}", "updated_at")
                        + ", metadata FROM conversations",
                "messages", "SELECT id, tenant_id, conversation_id, role, content, tokens_in, tokens_out, "
                        + "finish_reason, " + ts.replace("{c}", "created_at") + " FROM messages");
        for (var q : queries.entrySet()) {
            run(Map.of(), "sqlite3", "-csv", "-cmd", ".output " + dir.resolve(q.getKey() + ".csv"), db.toString(),
                    q.getValue());
        }
    }

    static String run(Map<String, String> env, String... cmd) throws IOException, InterruptedException {
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

    static String withDatabase(String url, String db) {
        return url.replaceFirst("/[^/]*$", "/" + db);
    }

    static String libpq(String url) {
        return url;
    }

    static Connection jdbc(String url) throws Exception {
        var u = java.net.URI.create(url);
        String user = u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":", 2)[0];
        String password = u.getUserInfo() != null && u.getUserInfo().contains(":") ? u.getUserInfo().split(":", 2)[1]
                : null;
        return DriverManager.getConnection("jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432
                : u.getPort()) + u.getPath(), user, password);
    }

    static void createDatabase(String admin, String name) throws Exception {
        try (Connection c = jdbc(admin); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
    }

    static void dropDatabase(String admin, String name) {
        try (Connection c = jdbc(admin); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + name);
        } catch (Exception e) {
            System.err.println("could not drop " + name + ": " + e.getMessage());
        }
    }

    static long count(String url) throws Exception {
        long n = 0;
        try (Connection c = jdbc(url); Statement st = c.createStatement()) {
            for (String t : List.of("tenants", "conversations", "messages")) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t)) {
                    rs.next();
                    n += rs.getLong(1);
                }
            }
        }
        return n;
    }
}
