package dev.parley.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged application ({@code target/quarkus-app}) started as a separate process, as an operator would. */
public final class ParleyProcess implements AutoCloseable {

    public static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar").toAbsolutePath();

    private final Process process;
    private final Path log;
    public final int port;

    private ParleyProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    public static ParleyProcess start(Path workDir, Map<String, String> env, String... args) throws IOException {
        int port = freePort();
        Path log = Files.createTempFile("parley", ".log");
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().remove("DATABASE_URL");
        pb.environment().put("PORT", String.valueOf(port));
        pb.environment().put("PARLEY_SHUTDOWN_DRAIN_DELAY", "0s"); // no load balancer to wait for
        pb.environment().putAll(env);
        return new ParleyProcess(pb.start(), log, port);
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Waits for the process to end on its own; returns its exit code. */
    public int exitCode(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("Parley did not exit within " + timeout + "; output:\n" + output());
        }
        return process.exitValue();
    }

    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hooks, no chance to flush anything. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    /** SIGTERM, as Kubernetes or systemd stop a service; returns at once (see {@link #exitCode}). */
    public void terminate() {
        process.destroy();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** GETs a path until it answers 200 or the timeout passes; returns the last body. */
    public HttpResponse<String> awaitOk(String path, Duration timeout) throws InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("Parley exited with " + process.exitValue() + ":\n" + output());
            }
            try {
                last = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (last.statusCode() == 200) {
                    return last;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no 200 from " + path + " within " + timeout + " (last: "
                + (last == null ? "no answer" : last.statusCode() + " " + last.body()) + "); output:\n" + output());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
