package dev.parley.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.parley.testing.FakeUpstream;
import dev.parley.testing.ParleyProcess;
import dev.parley.testing.TestPostgres;

/**
 * Tenant upstream API keys at rest, on the packaged server and each backend: the tenant's upstream gets the tenant's
 * key; the plaintext key is nowhere in the database's files (SQLite: the file, its WAL and a backup; PostgreSQL: the
 * data directory with its WAL) nor in the log; a start without the key that sealed them is one line naming its id
 * and exit code 2; rotation re-encrypts everything, after which the old key can be dropped; and copy-data carries
 * the sealed values to the other backend, where the same key opens them.
 */
class TenantUpstreamsIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final String BOOTSTRAP = "operator-bootstrap-key-for-byok-0001";
    private static final String MODEL = "byok-model";
    private static final String NAME = "byok-upstream-marker";

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private final String secret = "sk-byok-" + UUID.randomUUID().toString().replace("-", "");

    @AfterEach
    void resetUpstreams() {
        FakeUpstream.reset();
    }

    private static String newKey() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        return Base64.getEncoder().encodeToString(raw);
    }

    /** The key id as the README defines it: the first 8 bytes of the key's SHA-256, in hex. */
    private static String keyId(String base64) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Base64.getDecoder().decode(base64));
        return HexFormat.of().formatHex(digest, 0, 8);
    }

    private Map<String, String> env(String databaseUrl, String key, String oldKeys) {
        Map<String, String> env = new HashMap<>(FakeUpstream.processEnvironment());
        env.put("PARLEY_BOOTSTRAP_API_KEY", BOOTSTRAP);
        env.put("DATABASE_URL", databaseUrl);
        env.put("QUARKUS_LOG_CATEGORY__DEV_PARLEY__LEVEL", "DEBUG"); // the most a log would ever say
        if (key != null) {
            env.put("PARLEY_ENCRYPTION_KEY", key);
        }
        if (oldKeys != null) {
            env.put("PARLEY_ENCRYPTION_OLD_KEYS", oldKeys);
        }
        return env;
    }

    @ParameterizedTest
    @ValueSource(strings = { "sqlite", "postgresql" })
    void upstreamKeysAreSealedRequiredAtStartAndRotated(String backend) throws Exception {
        String url = backend.equals("sqlite") ? "sqlite:" + dir.resolve("byok.db") : TestPostgres.newDatabase();
        String first = newKey();
        String second = newKey();
        FakeUpstream.TENANT.requiredKey = secret;
        try (ParleyProcess p = ParleyProcess.start(dir, env(url, first, null))) {
            p.awaitOk("/q/health/ready", START);
            HttpResponse<String> created = call(p, BOOTSTRAP, "POST", "/api/upstreams", "{\"name\":\"" + NAME
                    + "\",\"baseUrl\":\"" + FakeUpstream.TENANT.baseUrl() + "\",\"apiKey\":\"" + secret
                    + "\",\"models\":[\"" + MODEL + "\"]}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            assertThat(created.body()).doesNotContain(secret);
            assertThat(complete(p, BOOTSTRAP).statusCode()).isEqualTo(200);
            assertThat(FakeUpstream.TENANT.authorizations).containsExactly("Bearer " + secret);
            String other = field(call(p, BOOTSTRAP, "POST", "/api/admin/tenants", "{\"name\":\"other\"}").body(),
                    "key");
            assertThat(complete(p, other).statusCode()).isEqualTo(400);
            assertThat(FakeUpstream.TENANT.requests).hasSize(1);
            HttpResponse<String> diagnostics = call(p, BOOTSTRAP, "GET", "/q/parley/diagnostics", null);
            assertThat(diagnostics.body()).doesNotContain(secret);
            assertThat(noPlaintextIn(backend, url, p)).as("the scan found the upstream's row").isTrue();
            assertThat(p.output()).doesNotContain(secret).doesNotContain(first);
        }

        // without the key that sealed them: one line naming its id, exit code 2
        try (ParleyProcess p = ParleyProcess.start(dir, env(url, null, null))) {
            assertThat(p.exitCode(START)).isEqualTo(2);
            assertThat(p.output().lines().filter(l -> l.contains("ERROR"))).singleElement().asString()
                    .contains("key id " + keyId(first)).doesNotContain(first);
            assertThat(p.output()).doesNotContain("\tat ");
        }

        // rotation: the new key encrypts, the old one still decrypts, the command re-encrypts everything
        try (ParleyProcess rotate = ParleyProcess.start(dir, env(url, second, first), "rotate-encryption-key")) {
            assertThat(rotate.exitCode(START)).as(rotate.output()).isZero();
            assertThat(rotate.output()).contains("Re-encrypted 1 upstream API key under key id " + keyId(second))
                    .doesNotContain(secret).doesNotContain(first).doesNotContain(second);
        }
        try (ParleyProcess p = ParleyProcess.start(dir, env(url, first, null))) {
            assertThat(p.exitCode(START)).as("the old key alone no longer opens anything").isEqualTo(2);
            assertThat(p.output()).contains("key id " + keyId(second));
        }
        // the old key dropped: everything still works
        try (ParleyProcess p = ParleyProcess.start(dir, env(url, second, null))) {
            p.awaitOk("/q/health/ready", START);
            assertThat(complete(p, BOOTSTRAP).statusCode()).isEqualTo(200);
            assertThat(FakeUpstream.TENANT.authorizations).containsExactly("Bearer " + secret, "Bearer " + secret);
        }

        if (backend.equals("sqlite")) {
            // copy-data carries the sealed values unchanged; the same key opens them on PostgreSQL
            String target = TestPostgres.newDatabase();
            try (ParleyProcess copy = ParleyProcess.start(dir, env(url, second, null), "copy-data", "--from", url,
                    "--to", target)) {
                assertThat(copy.exitCode(START)).as(copy.output()).isZero();
                assertThat(copy.output()).contains("tenant_upstreams").doesNotContain(secret);
            }
            try (ParleyProcess p = ParleyProcess.start(dir, env(target, second, null))) {
                p.awaitOk("/q/health/ready", START);
                assertThat(complete(p, BOOTSTRAP).statusCode()).isEqualTo(200);
                assertThat(FakeUpstream.TENANT.authorizations).hasSize(3).containsOnly("Bearer " + secret);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "sqlite" })
    void withoutAnEncryptionKeyNoUpstreamIsStored(String backend) throws Exception {
        String url = "sqlite:" + dir.resolve("nokey.db");
        try (ParleyProcess p = ParleyProcess.start(dir, env(url, null, null))) {
            p.awaitOk("/q/health/ready", START);
            HttpResponse<String> refused = call(p, BOOTSTRAP, "POST", "/api/upstreams", "{\"name\":\"x\","
                    + "\"baseUrl\":\"http://127.0.0.1:1/v1\",\"apiKey\":\"" + secret + "\",\"models\":[\"m\"]}");
            assertThat(refused.statusCode()).isEqualTo(409);
            assertThat(refused.body()).contains("encryption-not-configured").contains("PARLEY_ENCRYPTION_KEY")
                    .doesNotContain(secret);
            assertThat(call(p, BOOTSTRAP, "GET", "/api/upstreams", null).body()).contains("\"items\":[]");
        }
        try (ParleyProcess p = ParleyProcess.start(dir, env(url, "c2hvcnQ=", null))) {
            assertThat(p.exitCode(START)).isEqualTo(2);
            assertThat(p.output().lines().filter(l -> l.contains("ERROR"))).singleElement().asString()
                    .contains("PARLEY_ENCRYPTION_KEY").contains("32 bytes").doesNotContain("c2hvcnQ=");
        }
    }

    /**
     * Scans the database's bytes for the plaintext key: SQLite's file, its WAL and a fresh backup taken while the
     * server runs; PostgreSQL's whole data directory (its WAL included) after a checkpoint. Returns whether the scan
     * saw the upstream's name, which is stored in the clear: proof that it read where the row is.
     */
    private boolean noPlaintextIn(String backend, String url, ParleyProcess server) throws Exception {
        byte[] needle = secret.getBytes(StandardCharsets.UTF_8);
        byte[] marker = NAME.getBytes(StandardCharsets.UTF_8);
        List<Path> files = new ArrayList<>();
        if (backend.equals("sqlite")) {
            Path db = Path.of(url.substring("sqlite:".length()));
            Path backup = dir.resolve("byok.bak");
            try (ParleyProcess b = ParleyProcess.start(dir, Map.of("DATABASE_URL", url), "backup", "--output",
                    backup.toString())) {
                assertThat(b.exitCode(START)).as(b.output()).isZero();
            }
            Path wal = Path.of(db + "-wal");
            assertThat(wal).as("the WAL of a running server").exists();
            files.addAll(List.of(db, wal, backup));
        } else {
            try (Connection c = TestPostgres.connect(url); Statement st = c.createStatement()) {
                st.execute("CHECKPOINT");
                try (ResultSet rs = st.executeQuery("SHOW data_directory")) {
                    rs.next();
                    try (Stream<Path> walk = Files.walk(Path.of(rs.getString(1)))) {
                        walk.filter(Files::isRegularFile).forEach(files::add);
                    }
                }
            }
            assertThat(files).anyMatch(f -> f.toString().contains("pg_wal"));
        }
        boolean sawMarker = false;
        for (Path f : files) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(f);
            } catch (IOException e) {
                continue; // a file PostgreSQL removed meanwhile (e.g. a recycled WAL segment)
            }
            assertThat(indexOf(bytes, needle)).as("plaintext upstream key in " + f).isEqualTo(-1);
            sawMarker |= indexOf(bytes, marker) >= 0;
        }
        assertThat(server.isAlive()).isTrue();
        return sawMarker;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer: for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private HttpResponse<String> complete(ParleyProcess p, String key) throws Exception {
        return call(p, key, "POST", "/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":"
                + "\"user\",\"content\":\"hello\"}]}");
    }

    private HttpResponse<String> call(ParleyProcess p, String key, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + p.port + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .header("Accept", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]+)\"").matcher(json);
        assertThat(m.find()).as(name + " in " + json).isTrue();
        return m.group(1);
    }
}
