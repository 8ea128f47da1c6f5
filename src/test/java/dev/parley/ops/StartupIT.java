package dev.parley.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.parley.testing.ParleyProcess;
import dev.parley.testing.TestPostgres;

/**
 * The packaged artifact, started as an operator would start it: one build, either backend, and every start-up
 * mistake reported as one line with a non-zero exit code.
 */
class StartupIT {

    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void withoutConfigurationItServesFromASqliteFileUnderData() throws Exception {
        try (ParleyProcess p = ParleyProcess.start(dir, Map.of())) {
            String ready = p.awaitOk("/q/health/ready", START).body();
            assertThat(ready).contains("\"UP\"").contains("sqlite");
            assertThat(dir.resolve("data/parley.db")).exists();
        }
    }

    @Test
    void theSameArtifactServesFromPostgresqlWhenDatabaseUrlSaysSo() throws Exception {
        String url = TestPostgres.newDatabase();
        try (ParleyProcess p = ParleyProcess.start(dir, Map.of("DATABASE_URL", url))) {
            assertThat(p.awaitOk("/q/health/ready", START).body()).contains("\"UP\"").contains("postgresql");
            assertThat(dir.resolve("data")).doesNotExist();
        }
    }

    @Test
    void malformedDatabaseUrlIsOneLineAndExitCode2() throws Exception {
        try (ParleyProcess p = ParleyProcess.start(dir, Map.of("DATABASE_URL", "mysql://root:hunter2@db/app"))) {
            assertThat(p.exitCode(START)).isEqualTo(2);
            assertThat(p.output().strip()).hasLineCount(1).contains("DATABASE_URL").doesNotContain("hunter2");
        }
    }

    @Test
    void aPlanWithoutItsMonthlyTokensIsOneErrorLineAndExitCode2() throws Exception {
        try (ParleyProcess p = ParleyProcess.start(dir, Map.of("PARLEY_STRIPE_WEBHOOK_SECRET", "whsec_test",
                "PARLEY_PLAN_1_PRICE", "price_1Qpro"))) {
            assertThat(p.exitCode(START)).isEqualTo(2);
            assertThat(p.output().lines().filter(l -> l.contains("ERROR"))).singleElement().asString()
                    .contains("PARLEY_PLAN_1_PRICE is set but PARLEY_PLAN_1_MONTHLY_TOKENS is not");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"PARLEY_PG_ADMISSION_CONNECTIONS", "PARLEY_PG_SEARCH_CONCURRENCY"})
    void aPostgresqlCountUnderOneIsOneErrorLineAndExitCode2(String setting) throws Exception {
        try (ParleyProcess p = ParleyProcess.start(dir, Map.of("DATABASE_URL", TestPostgres.newDatabase(),
                setting, "0"))) {
            assertThat(p.exitCode(START)).isEqualTo(2);
            String out = p.output();
            assertThat(out.lines().filter(l -> l.contains("ERROR"))).singleElement().asString()
                    .contains(setting + " must be at least 1 (it is 0)");
            assertThat(out).doesNotContain("\tat ");
        }
    }

    @Test
    void unreachablePostgresqlIsOneErrorLineAndExitCode3() throws Exception {
        try (ParleyProcess p = ParleyProcess.start(dir,
                Map.of("DATABASE_URL", "postgresql://app:hunter2@127.0.0.1:1/parley"))) {
            assertThat(p.exitCode(START)).isEqualTo(3);
            String out = p.output();
            assertThat(out.lines().filter(l -> l.contains("ERROR"))).singleElement().asString()
                    .contains("Cannot connect to PostgreSQL app@127.0.0.1:1/parley");
            assertThat(out).doesNotContain("hunter2").doesNotContain("\tat ");
        }
    }

    @Test
    void aSecondProcessOnTheSameSqliteFileIsRefusedNamingTheHolder() throws Exception {
        Path db = dir.resolve("shared.db");
        Map<String, String> env = Map.of("DATABASE_URL", "sqlite:" + db);
        try (ParleyProcess first = ParleyProcess.start(dir, env)) {
            first.awaitOk("/q/health/ready", START);
            try (ParleyProcess second = ParleyProcess.start(dir, env)) {
                assertThat(second.exitCode(START)).isEqualTo(3);
                assertThat(second.output()).contains("in use by another Parley process (pid " + first.pid() + ")")
                        .doesNotContain("\tat ");
            }
            assertThat(first.isAlive()).isTrue();
        }
        assertThat(Files.exists(db)).isTrue();
    }

    @Test
    void failingMigrationIsOneLineAndExitCode4() throws Exception {
        Path db = dir.resolve("future.db");
        // a database whose history claims a migration this build does not know: Flyway refuses to touch it
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db); var st = c.createStatement()) {
            st.execute("CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version "
                    + "VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script "
                    + "VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TEXT "
                    + "NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')), execution_time INT NOT NULL, "
                    + "success BOOLEAN NOT NULL)");
            st.execute("INSERT INTO flyway_schema_history VALUES (1, '1', 'initial schema', 'SQL', "
                    + "'V1__initial_schema.sql', 12345, 'x', '2020-01-01', 1, 1)");
        }
        try (ParleyProcess p = ParleyProcess.start(dir, Map.of("DATABASE_URL", "sqlite:" + db))) {
            assertThat(p.exitCode(START)).isEqualTo(4);
            assertThat(p.output().lines().filter(l -> l.contains("ERROR"))).singleElement().asString()
                    .contains("Migration of SQLite file");
            assertThat(p.output()).doesNotContain("\tat ");
        }
    }

    @Test
    void thePublishedDevKeyIsRefusedAsTheBootstrapKeyOutsideDevMode() throws Exception {
        try (ParleyProcess p = ParleyProcess.start(dir, Map.of("PARLEY_BOOTSTRAP_API_KEY", "parley-dev-admin-key"))) {
            assertThat(p.exitCode(START)).isEqualTo(2);
            assertThat(p.output().lines().filter(l -> l.contains("ERROR"))).singleElement().asString()
                    .contains("published dev key").contains("set a secret of your own");
            assertThat(p.output()).doesNotContain("\tat ");
        }
    }

    @Test
    void aDatabaseWhereTheDevKeyWorksIsRefusedUntilItIsRevoked() throws Exception {
        Path db = dir.resolve("from-dev.db");
        java.util.UUID keyId;
        try (var ops = dev.parley.ops.data.OpsDatabase.open(dev.parley.testing.Dialects.of("sqlite:" + db), true,
                true)) {
            dev.parley.ops.data.Migrations.apply(ops.flyway(), java.util.Optional::empty, line -> {
            });
            java.util.UUID tenant = dev.parley.store.UuidV7.next();
            keyId = dev.parley.store.UuidV7.next();
            var now = dev.parley.store.Timestamps.now();
            var tenants = dev.parley.store.Table.named("tenants");
            ops.insert(tenants, java.util.List.<Object[]> of(tenants.row("id", tenant, "name", "default",
                    "created_at", now)));
            var keys = dev.parley.store.Table.named("api_keys");
            ops.insert(keys, java.util.List.<Object[]> of(keys.row("id", keyId, "tenant_id", tenant, "name", "admin",
                    "key_prefix", "", "key_hash", dev.parley.auth.ApiKeys.hash("parley-dev-admin-key"),
                    "created_at", now, "scopes", "admin")));
        }
        Map<String, String> env = Map.of("DATABASE_URL", "sqlite:" + db);
        try (ParleyProcess p = ParleyProcess.start(dir, env)) {
            assertThat(p.exitCode(START)).isEqualTo(2);
            assertThat(p.output().lines().filter(l -> l.contains("ERROR"))).singleElement().asString()
                    .contains("published dev key").contains("parley revoke-api-key " + keyId);
        }
        try (ParleyProcess revoke = ParleyProcess.start(dir, env, "revoke-api-key", keyId.toString())) {
            assertThat(revoke.exitCode(START)).as(revoke.output()).isZero();
        }
        try (ParleyProcess p = ParleyProcess.start(dir, env)) {
            p.awaitOk("/q/health/ready", START);
        }
    }

    @Test
    void aRevokedBootstrapKeyStaysRevokedAcrossRestartsWithTheVariableStillSet() throws Exception {
        String bootstrap = "an-operator-chosen-key-0123456789";
        Map<String, String> env = Map.of("DATABASE_URL", "sqlite:" + dir.resolve("boot.db"),
                "PARLEY_BOOTSTRAP_API_KEY", bootstrap);
        try (ParleyProcess p = ParleyProcess.start(dir, env)) {
            p.awaitOk("/q/health/ready", START);
            assertThat(p.output()).doesNotContain(bootstrap.substring(0, 8));
        }
        String listing;
        try (ParleyProcess list = ParleyProcess.start(dir, env, "list-api-keys", "--tenant", "default")) {
            assertThat(list.exitCode(START)).isZero();
            listing = list.output();
        }
        assertThat(listing).doesNotContain(bootstrap.substring(0, 6));
        String id = listing.lines().filter(l -> l.contains("admin") && l.contains("active")).findFirst().orElseThrow()
                .split("\\s+")[0];
        try (ParleyProcess revoke = ParleyProcess.start(dir, env, "revoke-api-key", id)) {
            assertThat(revoke.exitCode(START)).isZero();
        }
        try (ParleyProcess p = ParleyProcess.start(dir, env)) {
            p.awaitOk("/q/health/ready", START);
            var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://localhost:" + p.port + "/api/conversations"))
                    .header("Authorization", "Bearer " + bootstrap).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(401);
        }
    }

    @Test
    void theDataDirectoryAndTheDatabaseFilesAreTheOwnersOnly() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.FileSystems.getDefault()
                .supportedFileAttributeViews().contains("posix"), "POSIX permissions");
        try (ParleyProcess p = ParleyProcess.start(dir, Map.of())) {
            p.awaitOk("/q/health/ready", START);
            assertThat(mode(dir.resolve("data"))).isEqualTo("rwx------");
            for (String file : java.util.List.of("parley.db", "parley.db-wal", "parley.db-shm", "parley.db.lock")) {
                assertThat(mode(dir.resolve("data").resolve(file))).as(file).isEqualTo("rw-------");
            }
        }
    }

    private static String mode(Path p) throws java.io.IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
