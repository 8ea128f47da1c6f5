package dev.parley.ops;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import dev.parley.testing.FakeUpstream;
import dev.parley.testing.ParleyProcess;
import dev.parley.testing.SseClient;
import dev.parley.testing.TestPostgres;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonObject;

/**
 * Three replicas of the packaged service, started at the same moment on one empty PostgreSQL database, as a
 * Kubernetes Deployment would start them: the schema is migrated exactly once, all become ready, and chat turns sent
 * through all of them at once (also into one conversation) are stored once each, read the same from every replica.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiReplicaIT {

    private static final String KEY = "replica-admin-key-0123456789";
    private static final Duration START = Duration.ofSeconds(60);
    private static final int REPLICAS = 3;

    @TempDir
    static Path dir;

    private String databaseUrl;
    private StartingGate gate;
    private final List<ParleyProcess> replicas = new ArrayList<>();
    private ExecutorService pool;

    @BeforeAll
    void startThreeReplicasTogether() throws Exception {
        FakeUpstream.reset();
        databaseUrl = TestPostgres.newDatabase();
        URI direct = URI.create(databaseUrl);
        gate = new StartingGate(direct.getHost(), direct.getPort() < 0 ? 5432 : direct.getPort(), REPLICAS);
        Map<String, String> env = new HashMap<>(FakeUpstream.processEnvironment());
        env.put("DATABASE_URL", new URI(direct.getScheme(), direct.getUserInfo(), "127.0.0.1", gate.port(),
                direct.getPath(), direct.getQuery(), null).toString());
        env.put("PARLEY_BOOTSTRAP_API_KEY", KEY);
        for (int i = 0; i < REPLICAS; i++) {
            replicas.add(ParleyProcess.start(dir, env));
        }
        for (ParleyProcess replica : replicas) {
            replica.awaitOk("/q/health/ready", START);
        }
        assertThat(gate.openedTogether()).as("all replicas reached the database before any got through").isTrue();
        pool = Executors.newFixedThreadPool(12);
    }

    @AfterAll
    void stopReplicas() throws Exception {
        if (pool != null) {
            pool.shutdownNow();
        }
        for (ParleyProcess replica : replicas) {
            replica.close();
        }
        if (gate != null) {
            gate.close();
        }
        FakeUpstream.reset();
    }

    @Test
    void everyMigrationIsAppliedExactlyOnceByOneReplica() throws Exception {
        Set<String> expected;
        try (var files = Files.list(Path.of("src/main/resources/db/migration/postgresql"))) {
            expected = files.map(f -> f.getFileName().toString()).filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .map(n -> n.substring(1, n.indexOf("__"))).collect(Collectors.toSet());
        }
        Map<String, Integer> rows = new HashMap<>();
        try (Connection c = TestPostgres.connect(databaseUrl); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT version, success FROM flyway_schema_history "
                        + "WHERE version IS NOT NULL")) {
            while (rs.next()) {
                assertThat(rs.getBoolean("success")).as("migration %s succeeded", rs.getString("version")).isTrue();
                rows.merge(rs.getString("version"), 1, Integer::sum);
            }
        }
        assertThat(rows.keySet()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(rows.values()).allMatch(n -> n == 1);
        // Flyway says so only when it applied something; the others find the schema up to date
        assertThat(replicas).filteredOn(r -> r.output().contains("Successfully applied")).hasSize(1);
        for (ParleyProcess replica : replicas) {
            assertThat(replica.output()).as("no stack trace in any replica's log").doesNotContain("\tat ");
        }
    }

    @Test
    void turnsSentThroughEveryReplicaAreStoredOnceAndReadTheSameEverywhere() throws Exception {
        int conversations = 6;
        int turnsEach = 3;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < conversations; i++) {
            ids.add(createConversation(replicas.get(0), "replica test " + i));
        }
        List<Callable<Turn>> turns = new ArrayList<>();
        for (int i = 0; i < conversations; i++) {
            String id = ids.get(i);
            int first = i;
            // one conversation's turns follow each other, each through the next replica; conversations run at once
            turns.add(() -> {
                Turn last = null;
                for (int t = 0; t < turnsEach; t++) {
                    last = turn(replicas.get((first + t) % REPLICAS), id, "turn " + t + " of " + first, t % 2 == 0);
                }
                return last;
            });
        }
        runAll(turns);

        for (String id : ids) {
            List<Map<String, Object>> stored = sameOnEveryReplica(id);
            assertThat(stored).hasSize(turnsEach * 2);
            assertThat(stored).extracting(m -> m.get("role")).containsExactly("user", "assistant", "user",
                    "assistant", "user", "assistant");
            assertThat(stored).filteredOn(m -> m.get("role").equals("assistant"))
                    .allMatch(m -> m.get("content").equals(FakeUpstream.expectedText(5)) && "stop".equals(
                            m.get("finishReason")));
        }
        List<Object> lists = replicas.stream().map(r -> (Object) as(r).get("/api/conversations?limit=100").then()
                .statusCode(200).extract().jsonPath().getList("items")).toList();
        assertThat(lists).as("conversation list, most recently active first, from each replica").allMatch(
                l -> l.equals(lists.get(0)));
    }

    @Test
    void concurrentTurnsIntoOneConversationFromEveryReplicaAreAllStoredInOneOrder() throws Exception {
        String id = createConversation(replicas.get(1), "shared by all replicas");
        int turnsPerReplica = 4;
        CountDownLatch go = new CountDownLatch(1);
        List<Callable<Turn>> turns = new ArrayList<>();
        for (int r = 0; r < REPLICAS; r++) {
            for (int t = 0; t < turnsPerReplica; t++) {
                ParleyProcess replica = replicas.get(r);
                String content = "replica " + r + " turn " + t;
                boolean streaming = t % 2 == 0;
                turns.add(() -> {
                    go.await();
                    return turn(replica, id, content, streaming);
                });
            }
        }
        List<Future<Turn>> running = turns.stream().map(pool::submit).toList();
        go.countDown();
        List<Turn> answered = new ArrayList<>();
        for (Future<Turn> f : running) {
            answered.add(f.get(60, TimeUnit.SECONDS));
        }

        List<Map<String, Object>> stored = sameOnEveryReplica(id);
        List<Object> storedIds = stored.stream().map(m -> m.get("id")).toList();
        assertThat(stored).hasSize(REPLICAS * turnsPerReplica * 2);
        assertThat(new HashSet<>(storedIds)).hasSize(stored.size());
        Set<Object> answeredIds = new HashSet<>();
        for (Turn turn : answered) {
            answeredIds.add(turn.userMessageId());
            answeredIds.add(turn.assistantMessageId());
            assertThat(storedIds.indexOf(turn.userMessageId())).as("the question comes before its answer")
                    .isLessThan(storedIds.indexOf(turn.assistantMessageId()));
        }
        assertThat(answeredIds).containsExactlyInAnyOrderElementsOf(storedIds);
        assertThat(stored).filteredOn(m -> m.get("role").equals("user")).extracting(m -> m.get("content"))
                .doesNotHaveDuplicates().hasSize(REPLICAS * turnsPerReplica);
    }

    /** The conversation's messages, asserted identical from every replica, and its updated_at the same everywhere. */
    private List<Map<String, Object>> sameOnEveryReplica(String id) {
        List<List<Map<String, Object>>> views = new ArrayList<>();
        Set<String> updatedAt = new HashSet<>();
        for (ParleyProcess replica : replicas) {
            views.add(as(replica).get("/api/conversations/" + id + "/messages?limit=100").then().statusCode(200)
                    .extract().jsonPath().getList("items"));
            updatedAt.add(as(replica).get("/api/conversations/" + id).then().statusCode(200).extract()
                    .path("updatedAt"));
        }
        assertThat(views).as("messages of %s from each replica", id).allMatch(v -> v.equals(views.get(0)));
        assertThat(updatedAt).as("updatedAt of %s from each replica", id).hasSize(1);
        Instant lastMessage = views.get(0).stream().map(m -> Instant.parse((String) m.get("createdAt")))
                .max(Instant::compareTo).orElseThrow();
        assertThat(Instant.parse(updatedAt.iterator().next())).as("updatedAt = time of the latest message")
                .isEqualTo(lastMessage);
        return views.get(0);
    }

    private record Turn(String userMessageId, String assistantMessageId) {
    }

    /** One chat turn, streamed or not; returns the ids of the two messages it stored. */
    private static Turn turn(ParleyProcess replica, String conversation, String content, boolean streaming)
            throws Exception {
        String body = new JsonObject().put("content", content).put("stream", streaming).encode();
        if (!streaming) {
            var reply = as(replica).body(body).post("/api/conversations/" + conversation + "/messages").then()
                    .statusCode(200).extract().jsonPath();
            assertThat(reply.getString("message.content")).isEqualTo(FakeUpstream.expectedText(5));
            return new Turn(reply.getString("userMessageId"), reply.getString("message.id"));
        }
        try (SseClient sse = SseClient.post(replica.port, "/api/conversations/" + conversation + "/messages", KEY,
                body)) {
            assertThat(sse.response.statusCode()).isEqualTo(200);
            List<SseClient.Event> events = sse.readAll();
            assertThat(events.get(events.size() - 1).name()).isEqualTo("message.end");
            JsonObject start = new JsonObject(events.get(0).data());
            return new Turn(start.getString("userMessageId"), start.getString("messageId"));
        }
    }

    private <T> List<T> runAll(List<Callable<T>> work) throws Exception {
        List<T> results = new ArrayList<>();
        for (Future<T> f : pool.invokeAll(work, 60, TimeUnit.SECONDS)) {
            results.add(f.get());
        }
        return results;
    }

    private static String createConversation(ParleyProcess replica, String title) {
        return as(replica).body(new JsonObject().put("title", title).put("model", FakeUpstream.MODEL).encode())
                .post("/api/conversations").then().statusCode(201).extract().path("id");
    }

    private static RequestSpecification as(ParleyProcess replica) {
        return given().port(replica.port).header("Authorization", "Bearer " + KEY).contentType(ContentType.JSON);
    }

    /**
     * A TCP relay in front of PostgreSQL that holds every connection until {@code replicas} connections have arrived,
     * then lets them all through at once: JVMs competing for two cores start seconds apart, and without the gate the
     * first replica would have migrated the database before the others even looked at it.
     */
    private static final class StartingGate implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final CountDownLatch arrived;
        private final String host;
        private final int port;
        private volatile boolean together;

        StartingGate(String host, int port, int replicas) throws IOException {
            this.host = host;
            this.port = port;
            this.arrived = new CountDownLatch(replicas);
            daemon(this::accept);
        }

        int port() {
            return server.getLocalPort();
        }

        /** True when the gate opened because all replicas arrived, not because it gave up waiting. */
        boolean openedTogether() {
            return together;
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    arrived.countDown();
                    daemon(() -> relay(client));
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private void relay(Socket client) {
            try {
                if (arrived.await(60, TimeUnit.SECONDS)) {
                    together = true;
                }
                Socket database = new Socket(host, port);
                daemon(() -> pump(client, database));
                pump(database, client);
            } catch (IOException | InterruptedException e) {
                closeQuietly(client);
            }
        }

        private static void pump(Socket from, Socket to) {
            try {
                from.getInputStream().transferTo(to.getOutputStream());
            } catch (IOException ignored) {
                // one side went away
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }

        private static void daemon(Runnable r) {
            Thread t = new Thread(r, "starting-gate");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
