package dev.parley.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import dev.parley.provider.TokenEstimate;
import dev.parley.testing.FakeUpstream;
import dev.parley.testing.ParleyProcess;
import dev.parley.testing.TestPostgres;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Three packaged processes on one PostgreSQL database share one tenant's counters: its concurrent-turn cap and its
 * monthly token budget hold across the replicas as they would on one process.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UsageReplicasIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final String ADMIN = "usage-replicas-admin-key-0123456789";

    @TempDir
    static Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<ParleyProcess> replicas = new ArrayList<>();
    private String database;

    @BeforeAll
    void startThreeReplicas() throws Exception {
        FakeUpstream.reset();
        Map<String, String> env = new HashMap<>(FakeUpstream.processEnvironment());
        database = TestPostgres.newDatabase();
        env.put("DATABASE_URL", database);
        env.put("PARLEY_BOOTSTRAP_API_KEY", ADMIN);
        // a process's limits cache would hide the admin's change from the other two for its TTL
        env.put("PARLEY_USAGE_LIMITS_CACHE_TTL", "0s");
        for (int i = 0; i < 3; i++) {
            replicas.add(ParleyProcess.start(dir, env));
        }
        for (ParleyProcess replica : replicas) {
            replica.awaitOk("/q/health/ready", START);
        }
    }

    @AfterAll
    void stopReplicas() throws Exception {
        for (ParleyProcess replica : replicas) {
            replica.close();
        }
        FakeUpstream.reset();
    }

    @BeforeEach
    void resetUpstream() {
        FakeUpstream.reset();
    }

    @Test
    void theReplicasShareATenantsConcurrentTurnCap() throws Exception {
        String[] tenant = newTenant("{\"concurrentTurns\":2}");
        String key = tenant[1];
        FakeUpstream.tokens = 200;
        FakeUpstream.delayMs = 20;
        try (Stream first = openStream(replicas.get(0), key); Stream second = openStream(replicas.get(1), key)) {
            HttpResponse<String> refused = completion(replicas.get(2), key, null);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
            assertThat(refused.body()).contains("rate-limited").contains("concurrent");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            HttpResponse<String> alsoRefused = completion(replicas.get(0), key, null);
            assertThat(alsoRefused.statusCode()).as(alsoRefused.body()).isEqualTo(429);
        }
        // the two streams ended when their clients left; once each process has stored its partial reply, the
        // tenant's turns in flight are back to zero on every replica
        FakeUpstream.tokens = 2;
        FakeUpstream.delayMs = 1;
        HttpResponse<String> after = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            after = completion(replicas.get(2), key, null);
            if (after.statusCode() == 200) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
    }

    @Test
    void theReplicasShareATenantsMonthlyBudgetAndOvershootByAtMostTheAdmittedReservations() throws Exception {
        long budget = 200;
        int maxTokens = 20;
        String[] tenant = newTenant("{\"monthlyTokenBudget\":" + budget + "}");
        String key = tenant[1];
        FakeUpstream.tokens = 5;
        FakeUpstream.delayMs = 5;
        ExecutorService pool = Executors.newFixedThreadPool(30);
        List<Future<HttpResponse<String>>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < 60; i++) {
                ParleyProcess replica = replicas.get(i % replicas.size());
                futures.add(pool.submit(() -> completion(replica, key, maxTokens)));
            }
            int admitted = 0;
            for (Future<HttpResponse<String>> f : futures) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 200) {
                    admitted++;
                } else {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                    assertThat(r.body()).contains("budget-exhausted");
                }
            }
            assertThat(admitted).isBetween(1, 59);
            JsonObject usage = new JsonObject(call(replicas.get(1), key, "GET", "/api/usage", null).body());
            JsonObject totals = usage.getJsonObject("totals");
            long spent = totals.getLong("tokensIn") + totals.getLong("tokensOut");
            long reservation = TokenEstimate.of("hi") + maxTokens;
            assertThat(totals.getLong("turns")).isEqualTo(admitted);
            assertThat(spent - budget).as("overshoot across three replicas")
                    .isLessThanOrEqualTo(admitted * reservation);
            // refused turns stored nothing: one conversation per admitted turn, whichever replica is asked
            JsonObject listed = new JsonObject(call(replicas.get(2), key, "GET", "/api/conversations?limit=100", null)
                    .body());
            assertThat(listed.getJsonArray("items")).hasSize(admitted);
            // turns one after another, through each replica in turn, are admitted while the settled spend is below
            // the budget; once it reaches it, every replica refuses
            int sequential = 0;
            HttpResponse<String> next = completion(replicas.get(0), key, 1);
            while (next.statusCode() == 200) {
                sequential++;
                assertThat(spent + 16L * (sequential - 1)).as("admitted only below the budget").isLessThan(budget);
                next = completion(replicas.get(sequential % replicas.size()), key, 1);
            }
            assertThat(spent + 16L * sequential).isGreaterThanOrEqualTo(budget);
            for (ParleyProcess replica : replicas) {
                HttpResponse<String> r = completion(replica, key, 1);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                assertThat(r.body()).contains("budget-exhausted");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A budget large enough that each replica takes shares of it in advance ({@code PgCounterLeases}): twelve clients,
     * four per replica, spend it until each is refused. The replicas together never pass it by more than what the
     * turns running at once reserved, refuse only once little of it is left, and once idle give their shares back, so
     * that the month's counter holds exactly what the turns spent.
     */
    @Test
    void sharesOfALargerBudgetTakenInAdvanceByEachReplicaStillKeepIt() throws Exception {
        long budget = 12_000;
        int maxTokens = 20;
        int clients = 12;
        String[] tenant = newTenant("{\"monthlyTokenBudget\":" + budget + "}");
        String key = tenant[1];
        FakeUpstream.tokens = maxTokens;
        FakeUpstream.delayMs = 0;
        long sharedBefore = admissionsByShare();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<Integer>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                ParleyProcess replica = replicas.get(i % replicas.size());
                futures.add(pool.submit(() -> {
                    int mine = 0;
                    for (int n = 0; n < 1_000; n++) {
                        HttpResponse<String> r = completion(replica, key, maxTokens);
                        if (r.statusCode() != 200) {
                            assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                            assertThat(r.body()).contains("budget-exhausted");
                            return mine;
                        }
                        mine++;
                    }
                    throw new AssertionError("never refused");
                }));
            }
            int admitted = 0;
            for (Future<Integer> f : futures) {
                admitted += f.get();
            }
            JsonObject totals = new JsonObject(call(replicas.get(0), key, "GET", "/api/usage", null).body())
                    .getJsonObject("totals");
            long spent = totals.getLong("tokensIn") + totals.getLong("tokensOut");
            long reservation = TokenEstimate.of("hi") + maxTokens;
            assertThat(totals.getLong("turns")).isEqualTo(admitted);
            assertThat(spent).as("never past the budget by more than the turns running at once reserved")
                    .isLessThanOrEqualTo(budget + clients * reservation);
            assertThat(spent).as("refused only once little was left: at most the other replicas' shares")
                    .isGreaterThanOrEqualTo(budget - 3L * 32 * reservation);
            assertThat(admissionsByShare() - sharedBefore).as("turns admitted against shares").isGreaterThan(
                    admitted / 2);
            // idle, each replica gives its shares back: the month's counter then holds what the turns spent
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long counted = -1;
            while (System.nanoTime() < deadline && counted != spent) {
                Thread.sleep(500);
                try (var c = TestPostgres.connect(database); var st = c.prepareStatement(
                        "SELECT tokens FROM usage_windows WHERE subject_id = ?::uuid AND period NOT LIKE '%T%'")) {
                    st.setString(1, tenant[0]);
                    try (var rs = st.executeQuery()) {
                        counted = rs.next() ? rs.getLong(1) : -1;
                    }
                }
            }
            assertThat(counted).as("the month's counter, the shares given back").isEqualTo(spent);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Turns admitted against counter shares, on all three replicas ({@code parley_limited_admissions_total}). */
    private long admissionsByShare() throws Exception {
        long sum = 0;
        for (ParleyProcess replica : replicas) {
            HttpResponse<String> m = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + replica.port
                    + "/q/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            for (String line : m.body().split("\n")) {
                if (line.startsWith("parley_limited_admissions_total{") && line.contains("way=\"share\"")) {
                    sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        }
        return sum;
    }

    /** A new tenant with the given limits; returns its id and its key. */
    private String[] newTenant(String limits) throws Exception {
        HttpResponse<String> created = call(replicas.get(0), ADMIN, "POST", "/api/admin/tenants",
                new JsonObject().put("name", "replicas-" + System.nanoTime()).encode());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonObject body = new JsonObject(created.body());
        String id = body.getJsonObject("tenant").getString("id");
        String key = body.getJsonObject("apiKey").getString("key");
        HttpResponse<String> put = call(replicas.get(1), ADMIN, "PUT", "/api/admin/tenants/" + id + "/limits",
                limits);
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        return new String[] { id, key };
    }

    private HttpResponse<String> completion(ParleyProcess replica, String key, Integer maxTokens) throws Exception {
        JsonObject body = new JsonObject().put("model", FakeUpstream.MODEL).put("messages",
                new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")));
        if (maxTokens != null) {
            body.put("max_tokens", maxTokens);
        }
        return call(replica, key, "POST", "/v1/chat/completions", body.encode());
    }

    private HttpResponse<String> call(ParleyProcess p, String key, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + p.port + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .header("Accept", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A streaming turn that has been admitted and sent its first delta; closing it disconnects the client. */
    private record Stream(InputStream body) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            body.close();
        }
    }

    private Stream openStream(ParleyProcess replica, String key) throws Exception {
        JsonObject body = new JsonObject().put("model", FakeUpstream.MODEL).put("stream", true).put("messages",
                new JsonArray().add(new JsonObject().put("role", "user").put("content", "long")));
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + replica.port
                + "/v1/chat/completions")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        String line;
        while ((line = lines.readLine()) != null) {
            if (line.startsWith("data:") && line.contains("\"content\"")) {
                return new Stream(response.body());
            }
        }
        throw new AssertionError("the stream ended before its first token");
    }
}
