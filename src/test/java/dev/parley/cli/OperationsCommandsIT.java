package dev.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.parley.testing.ParleyProcess;
import dev.parley.testing.Schema;
import dev.parley.testing.TestPostgres;

/** The operations subcommands of the packaged artifact, run as an operator would. */
class OperationsCommandsIT {

    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration COMMAND = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    record Run(int exit, String output) {
        List<String> lines() {
            return output.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    private Run parley(Map<String, String> env, String... args) throws Exception {
        ParleyProcess p = ParleyProcess.start(dir, env, args);
        int exit = p.exitCode(COMMAND);
        return new Run(exit, p.output());
    }

    private Run parley(String... args) throws Exception {
        return parley(Map.of(), args);
    }

    @Test
    void everyCommandExplainsItselfAndMistakesAreOneLine() throws Exception {
        Run help = parley("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.output()).contains("serve", "migrate", "backup", "restore", "copy-data", "create-api-key");
        for (String command : List.of("migrate", "backup", "restore", "copy-data", "create-api-key")) {
            Run r = parley(command, "--help");
            assertThat(r.exit()).as(command).isZero();
            assertThat(r.output()).as(command).startsWith("Usage: parley " + command).contains("Exit codes");
        }
        Run unknown = parley("frobnicate");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.lines()).containsExactly("parley: unknown command 'frobnicate' (see parley --help)");

        Run badOption = parley("copy-data", "--from", "sqlite:a.db", "--bogus");
        assertThat(badOption.exit()).isEqualTo(2);
        assertThat(badOption.lines()).hasSize(1).first().asString().contains("unknown option --bogus");

        Run badUrl = parley(Map.of("DATABASE_URL", "mysql://root@localhost/x"), "migrate");
        assertThat(badUrl.exit()).isEqualTo(2);
        assertThat(badUrl.lines()).hasSize(1).first().asString().contains("DATABASE_URL must start with");

        Run missingTarget = parley("copy-data", "--from", "sqlite:" + dir.resolve("a.db"));
        assertThat(missingTarget.exit()).isEqualTo(2);
        assertThat(missingTarget.lines()).hasSize(1);
    }

    @Test
    void migrateDryRunListsAndMigrateRefusesWhileTheServerHoldsTheFile() throws Exception {
        Map<String, String> env = Map.of("DATABASE_URL", "sqlite:" + dir.resolve("m.db"));
        assertThat(parley(env, "migrate", "--dry-run").output()).contains("does not exist yet");
        Run migrate = parley(env, "migrate");
        assertThat(migrate.exit()).as(migrate.output()).isZero();
        assertThat(migrate.output()).contains("applied " + Schema.migrationCount()
                + " migration(s), schema version " + Schema.latestVersion());
        assertThat(parley(env, "migrate", "--dry-run").output()).contains("schema is up to date at version "
                + Schema.latestVersion());
        try (ParleyProcess server = ParleyProcess.start(dir, env)) {
            server.awaitOk("/q/health/ready", START);
            Run refused = parley(env, "migrate");
            assertThat(refused.exit()).isEqualTo(3);
            assertThat(refused.lines()).hasSize(1).first().asString().contains("in use by another Parley process")
                    .contains("pid " + server.pid());
        }
    }

    @Test
    void upgradeFromSqliteToPostgresqlKeepsKeysAndConversations() throws Exception {
        Map<String, String> sqlite = Map.of("DATABASE_URL", "sqlite:" + dir.resolve("edge.db"));
        assertThat(parley(sqlite, "migrate").exit()).isZero();
        Run created = parley(sqlite, "create-api-key", "--tenant", "Acme ünïcode", "--admin");
        assertThat(created.exit()).as(created.output()).isZero();
        String key = created.lines().stream().filter(l -> l.startsWith("pk_")).findFirst().orElseThrow();

        String conversation;
        try (ParleyProcess server = ParleyProcess.start(dir, sqlite)) {
            server.awaitOk("/q/health/ready", START);
            conversation = createConversation(server, key, "{\"title\":\"moving house 🚚\",\"metadata\":{\"a\":{\"b\":[1,2]}}}");
            HttpResponse<String> reply = send(server, key, "POST", "/api/conversations/" + conversation + "/messages",
                    "{\"content\":\"hello\",\"stream\":false}");
            assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        }

        String pg = TestPostgres.newDatabase();
        Run dryRun = parley(Map.of(), "migrate", "--dry-run", "--database-url", pg);
        assertThat(dryRun.exit()).as(dryRun.output()).isZero();
        assertThat(dryRun.output()).contains("schema version none, "
                + Schema.migrationCount() + " pending migration(s)").contains("V3 ");
        Run copy = parley(Map.of(), "copy-data", "--from", "sqlite:" + dir.resolve("edge.db"), "--to", pg,
                "--progress", "lines", "--batch-size", "2");
        assertThat(copy.exit()).as(copy.output()).isZero();
        assertThat(copy.output()).contains("messages: 2 rows to copy", "Verified: the target holds exactly");
        assertThat(copy.output()).containsPattern("conversations\\s+OK");

        Run again = parley(Map.of(), "copy-data", "--from", "sqlite:" + dir.resolve("edge.db"), "--to", pg);
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.output()).contains("already holds data").contains("--resume");

        try (var c = TestPostgres.connect(pg); var st = c.createStatement()) {
            st.executeUpdate("UPDATE messages SET content = 'tampered' WHERE role = 'user'");
        }
        Run tampered = parley(Map.of(), "copy-data", "--from", "sqlite:" + dir.resolve("edge.db"), "--to", pg,
                "--resume", "--progress", "none");
        assertThat(tampered.exit()).as(tampered.output()).isEqualTo(5);
        assertThat(tampered.output()).containsPattern("messages\\s+MISMATCH").contains("1 rows differ")
                .contains("verification failed");
        try (var c = TestPostgres.connect(pg); var st = c.createStatement()) {
            st.executeUpdate("UPDATE messages SET content = 'hello' WHERE role = 'user'");
        }

        try (ParleyProcess server = ParleyProcess.start(dir, Map.of("DATABASE_URL", pg))) {
            server.awaitOk("/q/health/ready", START);
            HttpResponse<String> got = send(server, key, "GET", "/api/conversations/" + conversation, null);
            assertThat(got.statusCode()).as(got.body()).isEqualTo(200);
            var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(got.body());
            assertThat(json.get("title").asText()).isEqualTo("moving house 🚚");
            assertThat(json.at("/metadata/a/b/1").asInt()).isEqualTo(2);
            HttpResponse<String> messages = send(server, key, "GET", "/api/conversations/" + conversation
                    + "/messages", null);
            assertThat(messages.body()).contains("hello");
            assertThat(Pattern.compile("\"role\"").matcher(messages.body()).results().count()).isEqualTo(2);
        }
    }

    @Test
    void backupWhileServingAndRestoreOnlyWhenStopped() throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("DATABASE_URL", "sqlite:" + dir.resolve("b.db"),
                "PARLEY_BOOTSTRAP_API_KEY", "backup-admin-key-0123456789"));
        String key = env.get("PARLEY_BOOTSTRAP_API_KEY");
        String kept;
        String lost;
        Path backup;
        try (ParleyProcess server = ParleyProcess.start(dir, env)) {
            server.awaitOk("/q/health/ready", START);
            kept = createConversation(server, key, "{\"title\":\"before backup\"}");
            Run b = parley(env, "backup");
            assertThat(b.exit()).as(b.output()).isZero();
            Matcher m = Pattern.compile("to (\\S+\\.bak) ").matcher(b.output());
            assertThat(m.find()).as(b.output()).isTrue();
            backup = Path.of(m.group(1));
            assertThat(backup).exists();
            server.awaitOk("/q/health/ready", Duration.ofSeconds(5));
            lost = createConversation(server, key, "{\"title\":\"after backup\"}");

            Run refused = parley(env, "restore", backup.toString());
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.lines()).hasSize(1).first().asString().contains("in use by another Parley process");
        }
        Run restore = parley(env, "restore", backup.toString());
        assertThat(restore.exit()).as(restore.output()).isZero();
        assertThat(restore.output()).contains("integrity ok", "pre-restore");
        try (ParleyProcess server = ParleyProcess.start(dir, env)) {
            server.awaitOk("/q/health/ready", START);
            assertThat(send(server, key, "GET", "/api/conversations/" + kept, null).statusCode()).isEqualTo(200);
            assertThat(send(server, key, "GET", "/api/conversations/" + lost, null).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void postgresqlBackupExplainsWhatToRunWithoutPgDump() throws Exception {
        Path emptyBin = Files.createDirectories(dir.resolve("bin"));
        Run r = parley(Map.of("DATABASE_URL", "postgresql://parley:secret@db.example:5432/parley", "PATH",
                emptyBin.toString()), "backup");
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.lines()).hasSize(1).first().asString().contains("pg_dump is not on PATH")
                .contains("pg_dump --format=custom").doesNotContain("secret");
    }

    private String createConversation(ParleyProcess server, String key, String body) throws Exception {
        HttpResponse<String> r = send(server, key, "POST", "/api/conversations", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        Matcher m = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(r.body());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private HttpResponse<String> send(ParleyProcess server, String key, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + server.port + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
