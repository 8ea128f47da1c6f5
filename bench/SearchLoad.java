/*
 * Search at a million messages, on SQLite and on PostgreSQL, and what the index costs the write path.
 *
 *   java -cp "target/quarkus-app/lib/main/*:target/quarkus-app/app/*" bench/SearchLoad.java \
 *        [--messages 1000000] [--tenants 10] [--backends sqlite,postgres] \
 *        [--pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres] [--seconds 20] [--write-seconds 20]
 *        [--write-warmup-seconds 20] [--keep false] [--writes true] [--reuse bench_search_...]
 *
 * Per backend:
 * 1. a database at the schema before search (V8), loaded directly (JDBC batches on SQLite, COPY on PostgreSQL) with
 *    --messages messages of --tenants tenants, 20 per conversation, words drawn from a Zipf distribution (s = 1) over
 *    a 30,000-word vocabulary, 8 to 80 words each, and one read+chat key per tenant;
 * 2. the packaged Parley started on it: it applies V9 (PostgreSQL: the generated column and the GIN index over every
 *    row, inside the migration; SQLite: the FTS5 table, then the backfill through the writer after start-up, timed
 *    until its last log line);
 * 3. searches through the HTTP API (each request a random tenant's key and a query of the mix below), 1 client then
 *    16 clients for --seconds each, after a warm-up, the clients closed loops on one Vert.x event loop (so that the
 *    generator takes little of the CPU it shares with Parley), with the CPU time per search of Parley, of this
 *    generator and of the rest of the machine (on PostgreSQL, mostly its server); and 200 searches for very common
 *    words at 1 client, reported on their own (they match a large share of a tenant's messages);
 * 4. the write path: 16 clients sending chat turns (stream false, the demo model with no delay: two stored messages
 *    per turn) for --write-warmup-seconds not counted (the JIT compiles the write path), then for --write-seconds
 *    with the index, then again (after 3 s not counted) after dropping it (SQLite: the FTS5 triggers;
 *    PostgreSQL: the generated column, its GIN index and the messages_recent index search added) in the same process
 *    and database.
 * Prints one JSON document; see bench/README.md.
 */

import java.io.StringReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.flywaydb.core.Flyway;
import org.postgresql.PGConnection;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

public class SearchLoad {

    static long messages = 1_000_000;
    static int tenants = 10;
    static List<String> backends = List.of("sqlite", "postgres");
    static String pgAdminUrl = "postgresql://postgres@127.0.0.1:5432/postgres";
    static int seconds = 20;
    static int writeSeconds = 20;
    /**
     * Writes before the first write phase, not counted: the searches before it compiled only the search path, and a
     * first phase that also paid for compiling the write path (HotSpot's C2 used 10 s of CPU in its first 20 s)
     * charged that to the index.
     */
    static int writeWarmupSeconds = 20;
    static String jar = "target/quarkus-app/quarkus-run.jar";
    /** Leaves the scratch database (and SQLite's directory) in place, with its name on stderr, to study it after. */
    static boolean keep = false;
    /** Whether the write-path phases run (they drop the index at the end); off, only the searches run. */
    static boolean writes = true;
    /**
     * A database kept by an earlier run with the same --messages and --tenants ({@code --keep true}, PostgreSQL only):
     * searched again without loading it (its migrations and index are as that run left them), no write phases.
     */
    static String reuse = null;

    static final int PER_CONVERSATION = 20;
    static final int VOCABULARY = 30_000;
    static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    static String[] words;
    static double[] zipfCdf;
    static final List<String> samples = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--messages" -> messages = Long.parseLong(args[i + 1]);
                case "--tenants" -> tenants = Integer.parseInt(args[i + 1]);
                case "--backends" -> backends = List.of(args[i + 1].split(","));
                case "--pg-admin-url" -> pgAdminUrl = args[i + 1];
                case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
                case "--write-seconds" -> writeSeconds = Integer.parseInt(args[i + 1]);
                case "--write-warmup-seconds" -> writeWarmupSeconds = Integer.parseInt(args[i + 1]);
                case "--jar" -> jar = args[i + 1];
                case "--keep" -> keep = Boolean.parseBoolean(args[i + 1]);
                case "--writes" -> writes = Boolean.parseBoolean(args[i + 1]);
                case "--reuse" -> reuse = args[i + 1];
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (reuse != null && (!backends.equals(List.of("postgres")) || !reuse.matches("bench_search_[0-9]+"))) {
            System.err.println("--reuse takes a database kept by an earlier run (bench_search_...) and --backends postgres");
            System.exit(2);
        }
        if (reuse != null) {
            writes = false;
            keep = true;
        }
        vocabulary();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("messages", messages);
        out.put("tenants", tenants);
        out.put("vocabulary", VOCABULARY);
        out.put("cores", Runtime.getRuntime().availableProcessors());
        for (String backend : backends) {
            out.put(backend, run(backend));
        }
        System.out.println(json(out, ""));
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    // --- text ---------------------------------------------------------------------------------------------------------

    /** Pronounceable words, the shorter ones the more frequent, as in natural languages. */
    static void vocabulary() {
        String[] syllables = { "ka", "lo", "mi", "ren", "ta", "vo", "si", "nu", "pe", "dra", "gon", "el", "ar", "is",
                "um", "ex", "tor", "ba", "li", "quo", "fen", "sha", "wir", "ot", "ple", "zu", "ma", "cor", "ny", "bel" };
        Random r = new Random(16);
        Set<String> set = new LinkedHashSet<>();
        while (set.size() < VOCABULARY) {
            int n = 1 + Math.min(3, (int) Math.abs(r.nextGaussian() * 1.3));
            StringBuilder w = new StringBuilder();
            for (int i = 0; i < n; i++) {
                w.append(syllables[r.nextInt(syllables.length)]);
            }
            if (w.length() >= 2) {
                set.add(w.toString());
            }
        }
        words = set.stream().sorted((a, b) -> Integer.compare(a.length(), b.length())).toArray(String[]::new);
        zipfCdf = new double[VOCABULARY];
        double sum = 0;
        for (int i = 0; i < VOCABULARY; i++) {
            sum += 1.0 / (i + 1);
            zipfCdf[i] = sum;
        }
        for (int i = 0; i < VOCABULARY; i++) {
            zipfCdf[i] /= sum;
        }
    }

    static int zipfRank(Random r) {
        int i = Arrays.binarySearch(zipfCdf, r.nextDouble());
        return Math.min(VOCABULARY - 1, i < 0 ? -i - 1 : i);
    }

    static String text(Random r) {
        int n = 8 + r.nextInt(73);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String w = words[zipfRank(r)];
            if (i == 0) {
                w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
            }
            sb.append(i == 0 ? "" : " ").append(w);
            if (i % 11 == 10) {
                sb.append(r.nextBoolean() ? "," : ".");
            }
        }
        return sb.append('.').toString();
    }

    record Query(String kind, String q) {
    }

    /** The search mix: what people type into a history search box, not stop words. */
    static Query query(Random r) {
        int p = r.nextInt(100);
        if (p < 40) {
            return new Query("word", words[50 + r.nextInt(4950)]);
        }
        if (p < 65) {
            return new Query("twoWords", words[20 + r.nextInt(1980)] + " " + words[20 + r.nextInt(1980)]);
        }
        if (p < 80) {
            String[] s = samples.get(r.nextInt(samples.size())).replaceAll("[.,]", "").toLowerCase(Locale.ROOT)
                    .split(" ");
            int at = r.nextInt(s.length - 1);
            return new Query("phrase", "\"" + s[at] + " " + s[at + 1] + "\"");
        }
        if (p < 90) {
            String w = words[100 + r.nextInt(2900)];
            return new Query("prefix", w.substring(0, Math.min(w.length(), 4)) + "*");
        }
        return new Query("rareWord", words[5000 + r.nextInt(VOCABULARY - 5000)]);
    }

    // --- data -------------------------------------------------------------------------------------------------------

    record Tenant(UUID id, String key) {
    }

    static String newKey(Random r) {
        StringBuilder sb = new StringBuilder("pk_");
        for (int i = 0; i < 43; i++) {
            sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    static List<Tenant> load(String backend, String jdbcUrl, String user) throws Exception {
        Random r = new Random(1);
        List<Tenant> ts = new ArrayList<>();
        for (int i = 0; i < tenants; i++) {
            ts.add(new Tenant(UUID.randomUUID(), newKey(r)));
        }
        boolean pg = backend.equals("postgres");
        long base = System.currentTimeMillis() * 1000 - messages * 1000; // micros, one ms apart, ending now
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, null)) {
            try (Statement st = c.createStatement()) {
                if (!pg) {
                    st.execute("PRAGMA journal_mode=WAL");
                    st.execute("PRAGMA synchronous=OFF");
                }
            }
            c.setAutoCommit(false);
            try (PreparedStatement t = c.prepareStatement(pg ? "INSERT INTO tenants (id, name, created_at) VALUES "
                    + "(?::uuid, ?, now())" : "INSERT INTO tenants (id, name, created_at) VALUES (?, ?, 0)");
                    PreparedStatement k = c.prepareStatement(pg ? "INSERT INTO api_keys (id, tenant_id, name, "
                            + "key_prefix, key_hash, created_at, scopes) VALUES (?::uuid, ?::uuid, 'bench', ?, ?, "
                            + "now(), 'chat,read')" : "INSERT INTO api_keys (id, tenant_id, name, key_prefix, "
                                    + "key_hash, created_at, scopes) VALUES (?, ?, 'bench', ?, ?, 0, 'chat,read')")) {
                for (int i = 0; i < ts.size(); i++) {
                    t.setString(1, ts.get(i).id().toString());
                    t.setString(2, "tenant " + i);
                    t.executeUpdate();
                    k.setString(1, UUID.randomUUID().toString());
                    k.setString(2, ts.get(i).id().toString());
                    k.setString(3, ts.get(i).key().substring(0, 9));
                    k.setString(4, sha256(ts.get(i).key()));
                    k.executeUpdate();
                }
            }
            c.commit();
            long conversations = (messages + PER_CONVERSATION - 1) / PER_CONVERSATION;
            int chunk = 20_000;
            StringBuilder convCopy = new StringBuilder();
            StringBuilder msgCopy = new StringBuilder();
            PreparedStatement conv = pg ? null : c.prepareStatement("INSERT INTO conversations (id, tenant_id, title, "
                    + "model, archived, created_at, updated_at) VALUES (?, ?, ?, 'demo', 0, ?, ?)");
            PreparedStatement msg = pg ? null : c.prepareStatement("INSERT INTO messages (id, tenant_id, "
                    + "conversation_id, role, content, tokens_in, tokens_out, finish_reason, created_at) "
                    + "VALUES (?, ?, ?, ?, ?, 1, 1, ?, ?)");
            long written = 0;
            long started = System.nanoTime();
            for (long cv = 0; cv < conversations; cv++) {
                Tenant tenant = ts.get((int) (cv % ts.size()));
                UUID cid = UUID.randomUUID();
                long at = base + cv * PER_CONVERSATION * 1000;
                String title = text(r);
                title = title.substring(0, Math.min(60, title.length()));
                if (pg) {
                    convCopy.append(cid).append('\t').append(tenant.id()).append('\t').append(title)
                            .append("\tdemo\tf\t").append(ts(at)).append('\t').append(ts(at)).append('\n');
                } else {
                    conv.setString(1, cid.toString());
                    conv.setString(2, tenant.id().toString());
                    conv.setString(3, title);
                    conv.setLong(4, at);
                    conv.setLong(5, at);
                    conv.addBatch();
                }
                for (int m = 0; m < PER_CONVERSATION && written < messages; m++, written++) {
                    String content = text(r);
                    if (samples.size() < 2000 && r.nextInt(200) == 0) {
                        samples.add(content);
                    }
                    boolean asked = m % 2 == 0;
                    long mat = at + m * 1000L;
                    if (pg) {
                        msgCopy.append(UUID.randomUUID()).append('\t').append(tenant.id()).append('\t').append(cid)
                                .append('\t').append(asked ? "user" : "assistant").append('\t').append(content)
                                .append("\t1\t1\t").append(asked ? "\\N" : "stop").append('\t').append(ts(mat))
                                .append('\n');
                    } else {
                        msg.setString(1, UUID.randomUUID().toString());
                        msg.setString(2, tenant.id().toString());
                        msg.setString(3, cid.toString());
                        msg.setString(4, asked ? "user" : "assistant");
                        msg.setString(5, content);
                        msg.setString(6, asked ? null : "stop");
                        msg.setLong(7, mat);
                        msg.addBatch();
                    }
                }
                if (written % chunk == 0 || written >= messages) {
                    if (pg) {
                        var copy = c.unwrap(PGConnection.class).getCopyAPI();
                        copy.copyIn("COPY conversations (id, tenant_id, title, model, archived, created_at, updated_at) "
                                + "FROM STDIN", new StringReader(convCopy.toString()));
                        copy.copyIn("COPY messages (id, tenant_id, conversation_id, role, content, tokens_in, "
                                + "tokens_out, finish_reason, created_at) FROM STDIN", new StringReader(msgCopy.toString()));
                        convCopy.setLength(0);
                        msgCopy.setLength(0);
                    } else {
                        conv.executeBatch();
                        msg.executeBatch();
                    }
                    c.commit();
                    if (written % 200_000 == 0) {
                        System.err.printf("%s: %d messages loaded (%.0f/s)%n", backend, written,
                                written / ((System.nanoTime() - started) / 1e9));
                    }
                }
            }
            if (pg) {
                try (Statement st = c.createStatement()) {
                    c.setAutoCommit(true);
                    st.execute("VACUUM ANALYZE");
                }
            }
        }
        return ts;
    }

    /**
     * The tenants of a kept database and the phrase samples of its load: the load's random sequence replayed (the
     * same keys, the same texts, nothing written), each key's tenant read back from api_keys.
     */
    static List<Tenant> reread(String jdbcUrl, String user) throws Exception {
        Random r = new Random(1);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < tenants; i++) {
            keys.add(newKey(r));
        }
        long conversations = (messages + PER_CONVERSATION - 1) / PER_CONVERSATION;
        long written = 0;
        for (long cv = 0; cv < conversations; cv++) {
            text(r); // the title
            for (int m = 0; m < PER_CONVERSATION && written < messages; m++, written++) {
                String content = text(r);
                if (samples.size() < 2000 && r.nextInt(200) == 0) {
                    samples.add(content);
                }
            }
        }
        List<Tenant> ts = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, null);
                PreparedStatement st = c.prepareStatement("SELECT tenant_id FROM api_keys WHERE key_hash = ?")) {
            for (String key : keys) {
                st.setString(1, sha256(key));
                try (var rs = st.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("no key of this bench's load in " + reuse
                                + " (another --messages or --tenants?)");
                    }
                    ts.add(new Tenant(UUID.fromString(rs.getString(1)), key));
                }
            }
        }
        return ts;
    }

    static String ts(long micros) {
        return java.time.Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1000).toString();
    }

    // --- the run ----------------------------------------------------------------------------------------------------

    static Map<String, Object> run(String backend) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        Path dir = Files.createTempDirectory("parley-search-bench");
        boolean pg = backend.equals("postgres");
        String databaseUrl;
        String jdbcUrl;
        String user = null;
        String scratch = reuse != null ? reuse : "bench_search_" + System.currentTimeMillis();
        URI admin = URI.create(pgAdminUrl);
        String pgUser = admin.getUserInfo() == null ? "postgres" : admin.getUserInfo().split(":")[0];
        String adminJdbc = "jdbc:postgresql://" + admin.getHost() + ":" + (admin.getPort() < 0 ? 5432 : admin.getPort())
                + admin.getPath();
        if (pg) {
            if (reuse == null) {
                try (Connection c = DriverManager.getConnection(adminJdbc, pgUser, null);
                        Statement st = c.createStatement()) {
                    st.execute("CREATE DATABASE " + scratch);
                }
            }
            jdbcUrl = adminJdbc.substring(0, adminJdbc.lastIndexOf('/') + 1) + scratch;
            user = pgUser;
            databaseUrl = "postgresql://" + pgUser + "@" + admin.getHost() + ":"
                    + (admin.getPort() < 0 ? 5432 : admin.getPort()) + "/" + scratch;
        } else {
            jdbcUrl = "jdbc:sqlite:" + dir.resolve("parley.db");
            databaseUrl = "sqlite:" + dir.resolve("parley.db");
        }
        Process parley = null;
        try {
            long t0 = System.nanoTime();
            samples.clear();
            List<Tenant> ts;
            if (reuse != null) {
                ts = reread(jdbcUrl, user);
                out.put("reused", reuse);
            } else {
                var flyway = Flyway.configure().dataSource(jdbcUrl, user, null)
                        .locations(pg ? "db/migration/postgresql" : "db/migration/sqlite").target("8").load();
                flyway.migrate();
                ts = load(backend, jdbcUrl, user);
                out.put("loadSeconds", secs(t0));
            }
            if (!pg) {
                out.put("databaseBytesBeforeIndex", Files.size(dir.resolve("parley.db")));
            }

            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "@" + Path.of("src/main/jvm/parley.options").toAbsolutePath(), "-jar", Path.of(jar).toAbsolutePath().toString()).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("parley.log").toFile());
            pb.environment().put("DATABASE_URL", databaseUrl);
            pb.environment().put("PORT", String.valueOf(port));
            pb.environment().put("PARLEY_DEMO_TOKEN_DELAY", "0s");
            long t1 = System.nanoTime();
            parley = pb.start();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://127.0.0.1:" + port;
            waitFor(() -> status(http, base + "/q/health/ready") == 200, Duration.ofMinutes(30), "readiness");
            out.put("startWithMigrationSeconds", secs(t1));
            if (!pg) {
                Path log = dir.resolve("parley.log");
                waitFor(() -> Files.readString(log).contains("Search index: all"), Duration.ofMinutes(60),
                        "the backfill");
                String line = Files.readAllLines(log).stream().filter(l -> l.contains("Search index: all")).findFirst()
                        .orElse("");
                out.put("backfillLogLine", line.substring(Math.max(0, line.indexOf("Search index"))));
                out.put("databaseBytesWithIndex", Files.size(dir.resolve("parley.db")));
            } else {
                try (Connection c = DriverManager.getConnection(jdbcUrl, user, null); Statement st = c.createStatement();
                        var rs = st.executeQuery("SELECT pg_total_relation_size('messages'), "
                                + "pg_relation_size('messages_search')")) {
                    rs.next();
                    out.put("messagesTableBytesWithIndex", rs.getLong(1));
                    out.put("ginIndexBytes", rs.getLong(2));
                }
            }

            searches(port, ts, 4, 5, new Random(7), parley.pid()); // warm-up
            System.err.println(backend + ": searching, 1 client for " + seconds + " s (Parley pid " + parley.pid() + ")");
            out.put("search1", searches(port, ts, 1, seconds, new Random(11), parley.pid()));
            System.err.println(backend + ": searching, 16 clients for " + seconds + " s");
            out.put("search16", searches(port, ts, 16, seconds, new Random(13), parley.pid()));
            out.put("commonWords1", common(http, base, ts));

            if (writes) {
                out.put("writesWithIndex", writes(http, base, ts, writeWarmupSeconds));
                try (Connection c = DriverManager.getConnection(jdbcUrl, user, null); Statement st = c.createStatement()) {
                    if (pg) {
                        st.execute("ALTER TABLE messages DROP COLUMN search");
                        st.execute("DROP INDEX messages_recent");
                    } else {
                        st.execute("PRAGMA busy_timeout=30000");
                        for (String t : List.of("insert", "delete", "update")) {
                            st.execute("DROP TRIGGER messages_fts_" + t);
                        }
                    }
                }
                out.put("writesWithoutIndex", writes(http, base, ts, 3));
                double with = ((Number) ((Map<?, ?>) out.get("writesWithIndex")).get("messagesPerSec")).doubleValue();
                double without = ((Number) ((Map<?, ?>) out.get("writesWithoutIndex")).get("messagesPerSec")).doubleValue();
                out.put("indexWriteCost", round(1 - with / without));
            }
        } finally {
            if (parley != null) {
                parley.destroy();
                parley.waitFor(60, TimeUnit.SECONDS);
            }
            if (keep) {
                System.err.println(backend + ": kept " + (pg ? "database " + scratch : dir.resolve("parley.db")));
            } else if (pg) {
                try (Connection c = DriverManager.getConnection(adminJdbc, pgUser, null);
                        Statement st = c.createStatement()) {
                    st.execute("DROP DATABASE IF EXISTS " + scratch + " WITH (FORCE)");
                }
            }
        }
        return out;
    }

    /** The search clients' event loop: one thread for all of them, so that the generator takes little of the CPU. */
    static Vertx vertx;

    /** What one search phase saw; touched only on the event loop until the phase ends. */
    static final class Seen {
        final Map<String, List<Long>> byKind = new java.util.TreeMap<>();
        final List<Long> all = new ArrayList<>();
        long errors;
        long empty;
    }

    /**
     * {@code clients} closed-loop clients (each sends its next search when the last one's answer is in) for {@code secs}
     * seconds, all on one Vert.x event loop over keep-alive connections, with the CPU time this generator and Parley
     * used meanwhile (from /proc) and the machine's busy cores.
     */
    static Map<String, Object> searches(int port, List<Tenant> ts, int clients, int secs, Random seed, long parleyPid)
            throws Exception {
        if (vertx == null) {
            vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
        }
        io.vertx.core.http.HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(clients));
        Seen seen = new Seen();
        CountDownLatch done = new CountDownLatch(clients);
        long self = ProcessHandle.current().pid();
        long generator0 = cpuMs(self);
        long parley0 = cpuMs(parleyPid);
        long busy0 = machineBusyMs();
        long started = System.nanoTime();
        long deadline = started + TimeUnit.SECONDS.toNanos(secs);
        for (int i = 0; i < clients; i++) {
            Random r = new Random(seed.nextLong());
            vertx.runOnContext(v -> search(client, port, ts, r, deadline, seen, done));
        }
        if (!done.await(secs + 120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("searches did not finish");
        }
        double wallMs = (System.nanoTime() - started) / 1e6;
        long generatorMs = cpuMs(self) - generator0;
        long parleyMs = cpuMs(parleyPid) - parley0;
        long busyMs = machineBusyMs() - busy0;
        client.close();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("clients", clients);
        out.put("searches", seen.all.size());
        out.put("perSec", round(seen.all.size() / (double) secs));
        out.put("errors", seen.errors);
        out.put("noHits", seen.empty);
        out.put("latencyMs", percentiles(seen.all));
        Map<String, Object> kinds = new LinkedHashMap<>();
        for (var e : seen.byKind.entrySet()) {
            kinds.put(e.getKey(), percentiles(e.getValue()));
        }
        out.put("byKindMs", kinds);
        int n = Math.max(1, seen.all.size());
        out.put("parleyCpuMsPerSearch", round((double) parleyMs / n));
        out.put("generatorCpuMsPerSearch", round((double) generatorMs / n));
        // the rest of the machine's busy time: on PostgreSQL mostly its server, on SQLite the rest of the machine
        out.put("restCpuMsPerSearch", round((double) (busyMs - parleyMs - generatorMs) / n));
        out.put("machineBusyCores", round(busyMs / wallMs));
        return out;
    }

    /** One client's next search, and the one after it when the answer is in, until the deadline. */
    static void search(io.vertx.core.http.HttpClient client, int port, List<Tenant> ts, Random r, long deadline,
            Seen seen, CountDownLatch done) {
        if (System.nanoTime() >= deadline) {
            done.countDown();
            return;
        }
        Tenant t = ts.get(r.nextInt(ts.size()));
        Query q = query(r);
        long s = System.nanoTime();
        client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
                .setURI("/api/search?q=" + URLEncoder.encode(q.q(), StandardCharsets.UTF_8) + "&limit=20")
                .putHeader("Authorization", "Bearer " + t.key()).putHeader("Accept", "application/json"))
                .compose(req -> req.send()).compose(resp -> resp.body().map(body -> resp.statusCode() != 200 ? 0
                        : body.length() >= 11 && body.getString(0, 11).equals("{\"items\":[]") ? 2 : 1))
                .onComplete(ar -> {
                    long took = System.nanoTime() - s;
                    if (ar.failed() || ar.result() == 0) {
                        seen.errors++;
                    } else {
                        if (ar.result() == 2) {
                            seen.empty++;
                        }
                        seen.all.add(took);
                        seen.byKind.computeIfAbsent(q.kind(), k -> new ArrayList<>()).add(took);
                    }
                    search(client, port, ts, r, deadline, seen, done);
                });
    }

    /** utime + stime of a process, in milliseconds (clock ticks of 10 ms: Linux's USER_HZ is 100). */
    static long cpuMs(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // the command name may hold spaces; fields are counted after its closing parenthesis
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
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
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The ten most frequent words: each matches a large share of a tenant's messages. */
    static Map<String, Object> common(HttpClient http, String base, List<Tenant> ts) throws Exception {
        List<Long> lat = new ArrayList<>();
        Random r = new Random(5);
        for (int i = 0; i < 200; i++) {
            Tenant t = ts.get(r.nextInt(ts.size()));
            long s = System.nanoTime();
            http.send(HttpRequest.newBuilder(URI.create(base + "/api/search?q=" + words[r.nextInt(10)] + "&limit=20"))
                    .header("Authorization", "Bearer " + t.key()).build(), HttpResponse.BodyHandlers.discarding());
            lat.add(System.nanoTime() - s);
        }
        return percentiles(lat);
    }

    static Map<String, Object> writes(HttpClient http, String base, List<Tenant> ts, int warmupSeconds)
            throws Exception {
        int clients = 16;
        AtomicLong turns = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<Long> lat = new CopyOnWriteArrayList<>();
        List<String> conversations = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Tenant t = ts.get(i % ts.size());
            String body = http.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations"))
                    .header("Authorization", "Bearer " + t.key()).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"write bench\"}")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            conversations.add(body.replaceAll(".*\"id\":\"([^\"]+)\".*", "$1"));
        }
        // a warm-up, not counted
        long warm = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmupSeconds);
        long deadline = warm + TimeUnit.SECONDS.toNanos(writeSeconds);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Tenant t = ts.get(i % ts.size());
            String conv = conversations.get(i);
            Random r = new Random(100 + i);
            threads.add(started(() -> {
                while (System.nanoTime() < deadline) {
                    String content = text(r);
                    long s = System.nanoTime();
                    try {
                        int code = http.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations/" + conv
                                + "/messages")).header("Authorization", "Bearer " + t.key())
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"" + content
                                        + "\",\"stream\":false}")).build(), HttpResponse.BodyHandlers.discarding())
                                .statusCode();
                        if (s < warm) {
                            continue;
                        }
                        if (code == 200 || code == 201) {
                            turns.incrementAndGet();
                            lat.add(System.nanoTime() - s);
                        } else {
                            errors.incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("clients", clients);
        out.put("turns", turns.get());
        out.put("errors", errors.get());
        out.put("messagesPerSec", round(2.0 * turns.get() / writeSeconds));
        out.put("turnLatencyMs", percentiles(lat));
        return out;
    }

    // --- helpers ----------------------------------------------------------------------------------------------------

    static Thread started(Runnable work) {
        Thread t = new Thread(work);
        t.start();
        return t;
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void waitFor(Check check, Duration max, String what) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (Exception e) {
                // not yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("gave up waiting for " + what);
    }

    static int status(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    static double secs(long since) {
        return round((System.nanoTime() - since) / 1e9);
    }

    static double round(double d) {
        return Math.round(d * 100) / 100.0;
    }

    static Map<String, Object> percentiles(List<Long> nanos) {
        long[] s = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("count", s.length);
        if (s.length > 0) {
            out.put("p50", round(s[(int) Math.min(s.length - 1, Math.floor(s.length * 0.50))] / 1e6));
            out.put("p99", round(s[(int) Math.min(s.length - 1, Math.floor(s.length * 0.99))] / 1e6));
            out.put("max", round(s[s.length - 1] / 1e6));
        }
        return out;
    }

    static String json(Object o, String indent) {
        if (o instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{\n");
            int i = 0;
            for (var e : m.entrySet()) {
                sb.append(indent).append("  \"").append(e.getKey()).append("\": ").append(json(e.getValue(), indent + "  "))
                        .append(++i < m.size() ? ",\n" : "\n");
            }
            return sb.append(indent).append("}").toString();
        }
        if (o instanceof String s) {
            return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        return String.valueOf(o);
    }
}
