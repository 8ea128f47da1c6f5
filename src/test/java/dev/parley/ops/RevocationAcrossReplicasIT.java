package dev.parley.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.parley.testing.Eventually;
import dev.parley.testing.ParleyProcess;
import dev.parley.testing.TestPostgres;

/**
 * Two replicas of the packaged server on one PostgreSQL database: a key revoked through one is refused by the other
 * within 2 s, although the other had it in a cache that would have kept it for ten minutes.
 */
class RevocationAcrossReplicasIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final String ADMIN = "replica-admin-key-0123456789";

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aKeyRevokedOnOneReplicaIsRefusedByTheOtherWithinTwoSeconds() throws Exception {
        // a cache that would remember the key for ten minutes: only the revocation watch can refuse it in time
        Map<String, String> env = Map.of("DATABASE_URL", TestPostgres.newDatabase(), "PARLEY_BOOTSTRAP_API_KEY", ADMIN,
                "PARLEY_AUTH_CACHE_TTL", "10m");
        try (ParleyProcess a = ParleyProcess.start(dir, env)) {
            a.awaitOk("/q/health/ready", START);
            try (ParleyProcess b = ParleyProcess.start(dir, env)) {
                b.awaitOk("/q/health/ready", START);
                String created = call(a, ADMIN, "POST", "/api/keys", "{\"name\":\"shared\"}").body();
                String key = field(created, "key");
                String id = field(created, "id");
                assertThat(call(b, key, "GET", "/api/conversations", null).statusCode()).isEqualTo(200);
                assertThat(call(b, key, "GET", "/api/conversations", null).statusCode()).as("now cached on b")
                        .isEqualTo(200);
                assertThat(call(a, ADMIN, "DELETE", "/api/keys/" + id, null).statusCode()).isEqualTo(204);
                assertThat(call(a, key, "GET", "/api/conversations", null).statusCode()).as("at once on a")
                        .isEqualTo(401);
                long start = System.nanoTime();
                Eventually.value(() -> {
                    try {
                        return call(b, key, "GET", "/api/conversations", null).statusCode();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, status -> status == 401, Duration.ofSeconds(2));
                System.out.printf("RevocationAcrossReplicasIT: the other replica refused the revoked key %d ms "
                        + "after the revocation%n", Duration.ofNanos(System.nanoTime() - start).toMillis());
            }
        }
    }

    private HttpResponse<String> call(ParleyProcess p, String key, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + p.port + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"([^\"]+)\"").matcher(json);
        assertThat(m.find()).as(name + " in " + json).isTrue();
        return m.group(1);
    }
}
