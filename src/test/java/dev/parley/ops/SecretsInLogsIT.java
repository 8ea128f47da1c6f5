package dev.parley.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.parley.testing.FakeUpstream;
import dev.parley.testing.ParleyProcess;
import dev.parley.testing.TestPostgres;

/**
 * A packaged server, on each backend, run through what an operator's log would see (keys created and used, wrong
 * and revoked keys, upstream failures, bad input): its whole output never contains a secret it was given or made.
 */
class SecretsInLogsIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final String BOOTSTRAP = "operator-secret-bootstrap-key-4711";
    private static final String DB_PASSWORD = "db-pass-" + UUID.randomUUID().toString().substring(0, 8);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void resetUpstreams() {
        FakeUpstream.reset();
    }

    @ParameterizedTest
    @ValueSource(strings = { "sqlite", "postgresql" })
    void noSecretReachesTheLog(String backend) throws Exception {
        Map<String, String> env = new HashMap<>(FakeUpstream.processEnvironment()); // upstream 1 has an API key
        env.put("PARLEY_BOOTSTRAP_API_KEY", BOOTSTRAP);
        env.put("QUARKUS_LOG_CATEGORY__DEV_PARLEY__LEVEL", "DEBUG");
        env.put("DATABASE_URL", backend.equals("sqlite") ? "sqlite:" + dir.resolve("s.db")
                : TestPostgres.newDatabaseOwnedBy("parley_" + UUID.randomUUID().toString().substring(0, 8),
                        DB_PASSWORD));
        String upstreamKey = env.get("PARLEY_UPSTREAM_1_API_KEY");
        assertThat(upstreamKey).isNotBlank();
        List<String> secrets = new java.util.ArrayList<>(List.of(BOOTSTRAP, upstreamKey));
        if (backend.equals("postgresql")) {
            secrets.add(DB_PASSWORD);
        }
        String output;
        try (ParleyProcess p = ParleyProcess.start(dir, env)) {
            p.awaitOk("/q/health/ready", START);
            String created = call(p, BOOTSTRAP, "POST", "/api/keys", "{\"name\":\"made\"}").body();
            String madeKey = field(created, "key");
            String madeId = field(created, "id");
            secrets.add(madeKey);
            String tenant = call(p, BOOTSTRAP, "POST", "/api/admin/tenants", "{\"name\":\"t\"}").body();
            secrets.add(field(tenant, "key"));
            String conversation = field(call(p, madeKey, "POST", "/api/conversations",
                    "{\"model\":\"" + FakeUpstream.MODEL + "\"}").body(), "id");
            call(p, madeKey, "POST", "/api/conversations/" + conversation + "/messages",
                    "{\"content\":\"hello\",\"stream\":false}");
            FakeUpstream.FIRST.failStatus = 500;
            FakeUpstream.SECOND.failStatus = 503;
            assertThat(call(p, madeKey, "POST", "/api/conversations/" + conversation + "/messages",
                    "{\"content\":\"again\",\"stream\":false}").statusCode()).isEqualTo(502);
            String wrong = "pk_thisIsNotAKeyButLooksSecret0123456789abcdef";
            secrets.add(wrong);
            assertThat(call(p, wrong, "GET", "/api/conversations", null).statusCode()).isEqualTo(401);
            call(p, madeKey, "POST", "/api/conversations", "{\"title\":\"a\\u0000b\"}");
            call(p, BOOTSTRAP, "DELETE", "/api/keys/" + madeId, null);
            assertThat(call(p, madeKey, "GET", "/api/conversations", null).statusCode()).isEqualTo(401);
            output = p.output();
        }
        assertThat(output).contains("Database ready");
        for (String secret : secrets) {
            assertThat(output).as("the log holds a secret").doesNotContain(secret);
        }
    }

    private HttpResponse<String> call(ParleyProcess p, String key, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + p.port + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .header("Accept", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]+)\"").matcher(json);
        assertThat(m.find()).as(name + " in " + json).isTrue();
        return m.group(1);
    }
}
