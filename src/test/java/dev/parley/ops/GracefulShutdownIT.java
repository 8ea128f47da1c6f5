package dev.parley.ops;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.parley.testing.Eventually;
import dev.parley.testing.FakeUpstream;
import dev.parley.testing.ParleyProcess;
import dev.parley.testing.SseClient;
import dev.parley.testing.TestPostgres;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.vertx.core.json.JsonObject;

/**
 * SIGTERM stops the packaged service in order: readiness goes DOWN, new chat turns are refused with 503, the turns in
 * flight finish and are stored (past the grace period they are cut and stored as partial), the writes are committed,
 * and the process exits 0.
 */
class GracefulShutdownIT {

    private static final String KEY = "shutdown-admin-key-0123456789";
    private static final Duration START = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final int TOKENS = 60;

    @TempDir
    Path dir;

    @BeforeEach
    @AfterEach
    void resetUpstream() {
        FakeUpstream.reset();
    }

    @Test
    void inFlightStreamsFinishAndAreStoredWhenSigtermArrivesOnSqlite() throws Exception {
        // with a drain delay: a turn sent after readiness went DOWN is still served, one sent after the delay is not
        assertInFlightStreamsFinishAndAreStored(environment("sqlite:" + dir.resolve("parley.db")), "2s");
    }

    @Test
    void inFlightStreamsFinishAndAreStoredWhenSigtermArrivesOnPostgresql() throws Exception {
        assertInFlightStreamsFinishAndAreStored(environment(TestPostgres.newDatabase()), "0s");
    }

    @Test
    void aStreamLongerThanTheGracePeriodIsCutStoredAsPartialAndTheProcessStillExits() throws Exception {
        FakeUpstream.tokens = 2_000;
        FakeUpstream.delayMs = 20; // 40 s: far longer than the grace period
        Map<String, String> env = environment("sqlite:" + dir.resolve("parley.db"));
        env.put("PARLEY_SHUTDOWN_GRACE", "1s");
        String conversation;
        List<SseClient.Event> events = new ArrayList<>();
        long sigterm;
        int exit;
        long exitMillis;
        try (ParleyProcess p = ParleyProcess.start(dir, env)) {
            p.awaitOk("/q/health/ready", START);
            conversation = createConversation(p);
            try (SseClient stream = stream(p, conversation, "tell me everything")) {
                assertThat(stream.response.statusCode()).isEqualTo(200);
                events.addAll(stream.readUntil(e -> e.name().equals("delta") && e.data().contains("t2 ")));
                sigterm = System.nanoTime();
                p.terminate();
                events.addAll(stream.readAll());
            }
            exit = p.exitCode(Duration.ofSeconds(30));
            exitMillis = Duration.ofNanos(System.nanoTime() - sigterm).toMillis();
            System.out.printf("GracefulShutdownIT: stream cut after 1 s grace; SIGTERM to exit %d ms%n", exitMillis);
            assertThat(p.output()).contains("1 of 1 chat turns were still running at the end of the 1 s grace period")
                    .contains("SQLite writer stopped");
        }
        assertThat(exit).isZero();
        assertThat(exitMillis).as("SIGTERM to exit, ms").isLessThan(6_000);

        SseClient.Event last = events.get(events.size() - 1);
        assertThat(last.name()).isEqualTo("error");
        JsonObject error = new JsonObject(last.data());
        assertThat(error.getString("type")).isEqualTo("https://parley.dev/problems/shutting-down");
        assertThat(error.getInteger("status")).isEqualTo(503);
        assertThat(error.getString("finishReason")).isEqualTo("shutdown");
        String received = deltaText(events);
        assertThat(received).startsWith(FakeUpstream.expectedText(3)).isNotEqualTo(FakeUpstream.expectedText(2_000));
        Eventually.value(FakeUpstream::totalAbandoned, n -> n == 1, Duration.ofSeconds(10));

        try (ParleyProcess again = ParleyProcess.start(dir, env)) {
            again.awaitOk("/q/health/ready", START);
            List<Map<String, Object>> stored = messages(again, conversation);
            assertThat(stored).hasSize(2);
            assertThat(stored.get(1)).containsEntry("role", "assistant").containsEntry("finishReason", "shutdown")
                    .containsEntry("content", received).containsEntry("id", error.getString("messageId"));
        }
    }

    private void assertInFlightStreamsFinishAndAreStored(Map<String, String> env, String drainDelay)
            throws Exception {
        env.put("PARLEY_SHUTDOWN_DRAIN_DELAY", drainDelay);
        boolean withDelay = !drainDelay.equals("0s");
        FakeUpstream.tokens = TOKENS;
        FakeUpstream.delayMs = 80; // a reply takes about 5 s, longer than the drain delay
        int streams = 4;
        List<String> conversations = new ArrayList<>();
        List<Future<List<SseClient.Event>>> running = new ArrayList<>();
        List<List<SseClient.Event>> replies = new ArrayList<>();
        String refused;
        int exit;
        long exitMillis;
        ExecutorService readers = Executors.newFixedThreadPool(streams + 1);
        try (ParleyProcess p = ParleyProcess.start(dir, env)) {
            p.awaitOk("/q/health/ready", START);
            for (int i = 0; i < streams + 1; i++) {
                conversations.add(createConversation(p));
            }
            refused = createConversation(p);
            CountDownLatch streaming = new CountDownLatch(streams);
            for (String conversation : conversations.subList(0, streams)) {
                running.add(readers.submit(() -> reply(p, conversation, streaming)));
            }
            assertThat(streaming.await(30, TimeUnit.SECONDS)).as("all streams started").isTrue();

            long sigterm = System.nanoTime();
            p.terminate();
            Eventually.value(() -> status(p, "/q/health/ready"), s -> s == 503, Duration.ofSeconds(5));
            if (withDelay) {
                // readiness is DOWN, yet turns are still served until the drain delay is over
                CountDownLatch accepted = new CountDownLatch(1);
                running.add(readers.submit(() -> reply(p, conversations.get(streams), accepted)));
                assertThat(accepted.await(30, TimeUnit.SECONDS)).as("turn sent during the drain delay").isTrue();
            } else {
                conversations.remove(streams);
            }
            Eventually.value(p::output, out -> out.contains("new chat turns are refused"), Duration.ofSeconds(10));
            try (SseClient late = stream(p, refused, "one more")) {
                assertThat(late.response.statusCode()).isEqualTo(503);
                assertThat(late.response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
                assertThat(late.response.headers().firstValue("Retry-After")).isPresent();
                assertThat(new JsonObject(new String(late.response.body().readAllBytes(), StandardCharsets.UTF_8))
                        .getString("type")).isEqualTo("https://parley.dev/problems/shutting-down");
            }

            for (Future<List<SseClient.Event>> reply : running) {
                replies.add(reply.get(30, TimeUnit.SECONDS));
            }
            exit = p.exitCode(Duration.ofSeconds(30));
            exitMillis = Duration.ofNanos(System.nanoTime() - sigterm).toMillis();
            System.out.printf("GracefulShutdownIT (%s, drain delay %s): %d streams in flight; SIGTERM to exit %d ms%n",
                    env.get("DATABASE_URL").startsWith("sqlite") ? "SQLite" : "PostgreSQL", drainDelay,
                    replies.size(), exitMillis);
            assertThat(p.output()).contains("chat turns in flight finished").doesNotContain("cut and stored");
        } finally {
            readers.shutdownNow();
        }
        assertThat(exit).isZero();
        assertThat(exitMillis).as("SIGTERM to exit, ms, within the 30 s grace period").isLessThan(30_000);

        for (List<SseClient.Event> events : replies) {
            assertThat(events.get(0).name()).isEqualTo("message.start");
            assertThat(deltaText(events)).isEqualTo(FakeUpstream.expectedText(TOKENS));
            SseClient.Event last = events.get(events.size() - 1);
            assertThat(last.name()).isEqualTo("message.end");
            assertThat(new JsonObject(last.data()).getString("finishReason")).isEqualTo("stop");
        }

        try (ParleyProcess again = ParleyProcess.start(dir, env)) {
            again.awaitOk("/q/health/ready", START);
            for (String conversation : conversations) {
                List<Map<String, Object>> stored = messages(again, conversation);
                assertThat(stored).extracting(m -> m.get("role")).containsExactly("user", "assistant");
                assertThat(stored.get(1)).containsEntry("content", FakeUpstream.expectedText(TOKENS))
                        .containsEntry("finishReason", "stop");
            }
            assertThat(messages(again, refused)).as("the refused turn stored nothing").isEmpty();
        }
    }

    /** Sends a streamed turn; counts {@code streaming} down at its first delta, then reads it to the end. */
    private static List<SseClient.Event> reply(ParleyProcess p, String conversation, CountDownLatch streaming)
            throws Exception {
        try (SseClient stream = stream(p, conversation, "a long answer, please")) {
            assertThat(stream.response.statusCode()).isEqualTo(200);
            List<SseClient.Event> events = new ArrayList<>(stream.readUntil(e -> e.name().equals("delta")));
            streaming.countDown();
            events.addAll(stream.readAll());
            return events;
        }
    }

    private static Map<String, String> environment(String databaseUrl) {
        Map<String, String> env = new HashMap<>(FakeUpstream.processEnvironment());
        env.put("DATABASE_URL", databaseUrl);
        env.put("PARLEY_BOOTSTRAP_API_KEY", KEY);
        return env;
    }

    private static String createConversation(ParleyProcess p) {
        return given().port(p.port).header("Authorization", "Bearer " + KEY).contentType(ContentType.JSON)
                .body(new JsonObject().put("model", FakeUpstream.MODEL).encode()).post("/api/conversations")
                .then().statusCode(201).extract().path("id");
    }

    private static SseClient stream(ParleyProcess p, String conversation, String content) throws Exception {
        return SseClient.post(p.port, "/api/conversations/" + conversation + "/messages", KEY,
                new JsonObject().put("content", content).encode());
    }

    private static int status(ParleyProcess p, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + p.port + path)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static List<Map<String, Object>> messages(ParleyProcess p, String conversation) {
        JsonPath page = given().port(p.port).header("Authorization", "Bearer " + KEY)
                .get("/api/conversations/" + conversation + "/messages?limit=100").then().statusCode(200).extract()
                .jsonPath();
        return page.getList("items");
    }

    private static String deltaText(List<SseClient.Event> events) {
        StringBuilder text = new StringBuilder();
        for (SseClient.Event e : events) {
            if ("delta".equals(e.name())) {
                text.append(new JsonObject(e.data()).getString("text"));
            }
        }
        return text.toString();
    }
}
