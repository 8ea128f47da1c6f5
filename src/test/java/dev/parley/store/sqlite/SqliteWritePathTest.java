package dev.parley.store.sqlite;

import static dev.parley.testing.Await.result;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.parley.auth.Tenants;
import dev.parley.store.DatabaseUrl;
import dev.parley.store.StoreOverloadedException;
import dev.parley.testing.Eventually;
import dev.parley.testing.SqliteBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;

/**
 * The SQLite write path under contention: group commit, per-operation isolation inside a batch, back-pressure, a
 * foreign process holding the write lock (readiness goes DOWN naming it, and comes back), and WAL housekeeping.
 */
@QuarkusTest
@TestProfile(SqliteWritePathTest.Profile.class)
class SqliteWritePathTest {

    public static class Profile extends SqliteBackend {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.put("parley.health.write-probe-interval", "100ms");
            config.put("parley.health.write-stall-timeout", "1s");
            config.put("parley.sqlite.writer.queue-capacity", "300");
            config.put("parley.sqlite.checkpoint-interval", "50ms");
            config.put("parley.sqlite.truncate-interval", "300ms");
            config.put("parley.sqlite.wal-size-limit-bytes", "1048576");
            return config;
        }
    }

    @Inject
    SqliteWriter writer;

    @Inject
    SqliteReaders readers;

    @Inject
    Tenants tenants;

    @Inject
    DatabaseUrl database;

    /** Another process's connection to the same file, holding the write lock until closed. */
    private Connection holdWriteLock() throws Exception {
        Connection foreign = DriverManager.getConnection("jdbc:sqlite:" + database.sqlitePath());
        try (Statement st = foreign.createStatement()) {
            st.execute("PRAGMA busy_timeout = 5000");
            st.execute("BEGIN IMMEDIATE");
        }
        return foreign;
    }

    private static void release(Connection foreign) throws Exception {
        try (Statement st = foreign.createStatement()) {
            st.execute("ROLLBACK");
        }
        foreign.close();
    }

    private CompletableFuture<Integer> insert(String name) {
        return insert(name, new java.util.HashSet<>());
    }

    /** An insert that notes, while it runs inside its transaction, how many commits came before that transaction. */
    private CompletableFuture<Integer> insert(String name, java.util.Set<Long> transactions) {
        return writer.submit("test-insert", c -> {
            synchronized (transactions) {
                transactions.add(writer.commits());
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO heartbeats (instance, beat_at) VALUES (?, 1)")) {
                ps.setString(1, name);
                return ps.executeUpdate();
            }
        }).subscribeAsCompletionStage();
    }

    private long count(String prefix) {
        return result(readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM heartbeats WHERE instance LIKE ?")) {
                ps.setString(1, prefix + "%");
                var rs = ps.executeQuery();
                rs.next();
                return rs.getLong(1);
            }
        }));
    }

    @Test
    void concurrentWritesShareCommitsAndAFailingOneFailsAlone() throws Exception {
        String prefix = "batch-" + UUID.randomUUID() + "-";
        Connection foreign = holdWriteLock(); // lets the queue fill up, so the batches are deterministic
        List<CompletableFuture<Integer>> writes = new ArrayList<>();
        CompletableFuture<Integer> duplicate;
        java.util.Set<Long> transactions = new java.util.HashSet<>();
        try {
            // first get the writer stuck in BEGIN with a batch of its own, so that all of the next writes queue
            writes.add(insert(prefix + "first"));
            Eventually.value(() -> writer.lockWaiting().isZero(), zero -> !zero, Duration.ofSeconds(5));
            for (int i = 0; i < 100; i++) {
                writes.add(insert(prefix + i, transactions));
            }
            duplicate = insert(prefix + 7); // violates the primary key: must fail without taking the batch with it
            Eventually.value(writer::queueDepth, n -> n >= 101, Duration.ofSeconds(5));
        } finally {
            release(foreign);
        }

        for (CompletableFuture<Integer> w : writes) {
            assertThat(w.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        }
        assertThat(duplicate).failsWithin(Duration.ofSeconds(30));
        assertThat(count(prefix)).isEqualTo(101);
        assertThat(transactions).as("transactions that committed the 100 queued writes").hasSizeLessThanOrEqualTo(2);
    }

    @Test
    void readinessGoesDownWhileAnotherProcessHoldsTheWriteLockAndRecovers() throws Exception {
        given().get("/q/health/ready").then().statusCode(200);
        String key = result(tenants.createTenant("stall-" + UUID.randomUUID(), Tenants.TENANT_SCOPES)).plaintextKey();
        Connection foreign = holdWriteLock();
        CompletableFuture<Integer> createDuringStall;
        try {
            Eventually.value(() -> given().get("/q/health/ready").then().extract().statusCode(), s -> s == 503,
                    Duration.ofSeconds(10));
            given().get("/q/health/ready").then().statusCode(503)
                    .body("checks.find { it.name == 'database' }.data.error", containsString("write lock"));
            given().get("/q/health/live").then().statusCode(200);
            // a write accepted during the stall is delayed, not lost
            createDuringStall = CompletableFuture.supplyAsync(() -> given().header("Authorization", "Bearer " + key)
                    .contentType(ContentType.JSON).body("{\"title\":\"patience\"}").post("/api/conversations")
                    .then().extract().statusCode());
            Eventually.value(writer::queueDepth, n -> n > 0, Duration.ofSeconds(5));
        } finally {
            release(foreign);
        }
        assertThat(createDuringStall.get(30, TimeUnit.SECONDS)).isEqualTo(201);
        Eventually.value(() -> given().get("/q/health/ready").then().extract().statusCode(), s -> s == 200,
                Duration.ofSeconds(10));
        given().header("Authorization", "Bearer " + key).get("/api/conversations").then().statusCode(200)
                .body("items[0].title", equalTo("patience"));
    }

    @Test
    void aFullWriteQueueAnswers503WithRetryAfter() throws Exception {
        String key = result(tenants.createTenant("full-" + UUID.randomUUID(), Tenants.TENANT_SCOPES)).plaintextKey();
        String prefix = "full-" + UUID.randomUUID() + "-";
        Connection foreign = holdWriteLock();
        List<CompletableFuture<Integer>> writes = new ArrayList<>();
        try {
            // more than the queue (300) plus the batch the writer already holds (at most 512) can take
            for (int i = 0; i < 1000; i++) {
                writes.add(insert(prefix + i));
            }
            given().header("Authorization", "Bearer " + key).contentType(ContentType.JSON).body("{}")
                    .post("/api/conversations").then().statusCode(503)
                    .contentType("application/problem+json")
                    .header("Retry-After", "1")
                    .body("type", equalTo("https://parley.dev/problems/overloaded"));
        } finally {
            release(foreign);
        }
        long refused = writes.stream().filter(w -> {
            try {
                w.get(30, TimeUnit.SECONDS);
                return false;
            } catch (Exception e) {
                assertThat(e.getCause()).isInstanceOf(StoreOverloadedException.class);
                return true;
            }
        }).count();
        assertThat(refused).isPositive();
        assertThat(count(prefix)).isEqualTo(1000 - refused); // every accepted write committed
    }

    @Test
    void theWalStaysBoundedUnderSustainedWritesAndIsTruncatedAfterwards() throws Exception {
        Path wal = Path.of(database.sqlitePath() + "-wal");
        String padding = "x".repeat(2000);
        long maxWal = 0;
        for (int round = 0; round < 40; round++) { // ~40 x 100 x 2 KB = 8 MB written
            List<CompletableFuture<Object>> batch = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String name = "wal-" + UUID.randomUUID() + padding;
                batch.add(writer.submit("wal", c -> {
                    try (PreparedStatement ps = c.prepareStatement(
                            "INSERT INTO heartbeats (instance, beat_at) VALUES (?, 1)")) {
                        ps.setString(1, name);
                        return (Object) ps.executeUpdate();
                    }
                }).subscribeAsCompletionStage());
            }
            for (CompletableFuture<Object> f : batch) {
                f.get(30, TimeUnit.SECONDS);
            }
            maxWal = Math.max(maxWal, Files.exists(wal) ? Files.size(wal) : 0);
        }
        assertThat(maxWal).as("largest WAL seen while writing ~8 MB").isLessThan(6L * 1024 * 1024);
        // once the burst is over, a truncating checkpoint resets the file (only heartbeats write after it)
        Eventually.value(() -> writer.walSizeBytes(), size -> size < 64 * 1024, Duration.ofSeconds(10));
    }
}
