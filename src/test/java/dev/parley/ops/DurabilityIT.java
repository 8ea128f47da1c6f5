package dev.parley.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.parley.testing.ParleyProcess;
import dev.parley.testing.TestPostgres;

/**
 * No acknowledged write is lost when the process is killed with SIGKILL mid-load: every conversation whose creation
 * was answered 201 before the kill is there after a restart.
 */
class DurabilityIT {

    private static final String KEY = "durability-admin-key-0123456789";
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void acknowledgedWritesSurviveKillMinus9OnSqlite() throws Exception {
        assertAcknowledgedWritesSurvive(Map.of("DATABASE_URL", "sqlite:" + dir.resolve("d.db"),
                "PARLEY_BOOTSTRAP_API_KEY", KEY));
    }

    @Test
    void acknowledgedWritesSurviveKillMinus9OnPostgresql() throws Exception {
        assertAcknowledgedWritesSurvive(Map.of("DATABASE_URL", TestPostgres.newDatabase(),
                "PARLEY_BOOTSTRAP_API_KEY", KEY));
    }

    private void assertAcknowledgedWritesSurvive(Map<String, String> env) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        ParleyProcess first = ParleyProcess.start(dir, env);
        try {
            first.awaitOk("/q/health/ready", START);
            String base = "http://localhost:" + first.port;
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                Thread t = new Thread(() -> {
                    Pattern id = Pattern.compile("\"id\":\"([^\"]+)\"");
                    while (!stop.get()) {
                        try {
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base
                                    + "/api/conversations")).header("Authorization", "Bearer " + KEY)
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"durable\"}")).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 201) {
                                Matcher m = id.matcher(r.body());
                                m.find();
                                acknowledged.add(m.group(1));
                            }
                        } catch (Exception e) {
                            return; // the server died under us: that is the point
                        }
                    }
                });
                t.start();
                writers.add(t);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (acknowledged.size() < 300 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            first.kill(); // SIGKILL while the writers are still writing
            stop.set(true);
            for (Thread t : writers) {
                t.join(10_000);
            }
        } finally {
            first.close();
        }
        assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(100);

        try (ParleyProcess second = ParleyProcess.start(dir, env)) {
            second.awaitOk("/q/health/ready", START);
            List<String> missing = new ArrayList<>();
            for (String id : acknowledged) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + second.port
                        + "/api/conversations/" + id)).header("Authorization", "Bearer " + KEY).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    missing.add(id);
                }
            }
            assertThat(missing).as("acknowledged before kill -9, missing after restart").isEmpty();
        }
    }
}
