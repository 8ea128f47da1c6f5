package dev.parley.ops.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.ResourceProvider;
import org.flywaydb.core.api.resource.LoadableResource;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.parley.store.DatabaseUrl;
import dev.parley.testing.Dialects;

/**
 * A restart on an up-to-date database skips Flyway's plan only when the plan would find nothing to do: every
 * packaged migration applied and none failed, on both dialects, and never when the scripts cannot be listed.
 */
class MigrationsUpToDateTest {

    @TempDir
    Path dir;

    /** The packaged scripts of a location, listed as Quarkus lists them for its Flyway instances (by name). */
    private record Scripts(Path directory) implements ResourceProvider {

        List<Path> files() {
            try (Stream<Path> files = Files.list(directory)) {
                return files.sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public LoadableResource getResource(String name) {
            return files().stream().filter(f -> f.getFileName().toString().equals(name)).findFirst()
                    .map(Scripts::resource).orElse(null);
        }

        @Override
        public Collection<LoadableResource> getResources(String prefix, String... suffixes) {
            return files().stream().filter(f -> f.getFileName().toString().startsWith(prefix)
                    && Arrays.stream(suffixes).anyMatch(s -> f.getFileName().toString().endsWith(s)))
                    .map(Scripts::resource).toList();
        }

        private static LoadableResource resource(Path file) {
            return new LoadableResource() {
                @Override
                public Reader read() {
                    try {
                        return Files.newBufferedReader(file);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }

                @Override
                public String getAbsolutePath() {
                    return file.toAbsolutePath().toString();
                }

                @Override
                public String getAbsolutePathOnDisk() {
                    return getAbsolutePath();
                }

                @Override
                public String getFilename() {
                    return file.getFileName().toString();
                }

                @Override
                public String getRelativePath() {
                    return getFilename();
                }
            };
        }
    }

    private DatabaseUrl database(String backend) {
        return backend.equals("sqlite") ? SampleData.sqliteFile(dir, "restart.db") : SampleData.newPostgres();
    }

    private static Scripts scripts(OpsDatabase db) {
        String location = db.flyway().getConfiguration().getLocations()[0].getPath();
        return new Scripts(Path.of("src/main/resources").resolve(location));
    }

    private static Flyway listing(OpsDatabase db, Scripts scripts) {
        return Flyway.configure().configuration(db.flyway().getConfiguration()).resourceProvider(scripts).load();
    }

    private static List<String> versions(Scripts scripts) {
        return scripts.files().stream().map(f -> f.getFileName().toString())
                .map(n -> MigrationVersion.fromVersion(n.substring(1, n.indexOf("__")))).sorted()
                .map(MigrationVersion::getVersion).toList();
    }

    private static void execute(Flyway flyway, String sql) throws SQLException {
        try (Connection c = flyway.getConfiguration().getDataSource().getConnection();
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "sqlite", "postgresql" })
    void aDatabaseWithEveryPackagedMigrationIsUpToDateAtItsNewestVersion(String backend) {
        try (OpsDatabase db = OpsDatabase.open(Dialects.of(database(backend)), true, true)) {
            Scripts scripts = scripts(db);
            Flyway flyway = listing(db, scripts);
            Migrations.applyAll(flyway, line -> {
            });
            List<String> versions = versions(scripts);
            assertThat(Migrations.upToDate(flyway)).contains(versions.get(versions.size() - 1));
            Migrations.Plan plan = Migrations.plan(flyway);
            assertThat(plan.pending()).isEmpty();
            assertThat(Migrations.upToDate(flyway)).contains(plan.currentVersion());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "sqlite", "postgresql" })
    void aDatabaseShortOfTheNewestMigrationIsLeftToThePlan(String backend) {
        try (OpsDatabase db = OpsDatabase.open(Dialects.of(database(backend)), true, true)) {
            Scripts scripts = scripts(db);
            List<String> versions = versions(scripts);
            Flyway.configure().configuration(listing(db, scripts).getConfiguration())
                    .target(versions.get(versions.size() - 2)).load().migrate();
            Flyway flyway = listing(db, scripts);
            assertThat(Migrations.upToDate(flyway)).isEmpty();
            assertThat(Migrations.plan(flyway).pending()).extracting(Migrations.Pending::version)
                    .containsExactly(versions.get(versions.size() - 1));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "sqlite", "postgresql" })
    void aDatabaseWithoutHistoryIsLeftToThePlan(String backend) {
        try (OpsDatabase db = OpsDatabase.open(Dialects.of(database(backend)), true, true)) {
            Flyway flyway = listing(db, scripts(db));
            assertThat(Migrations.upToDate(flyway)).isEmpty();
            assertThat(Migrations.plan(flyway).pending()).isNotEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "sqlite", "postgresql" })
    void aMigrationThatDidNotSucceedIsLeftToThePlan(String backend) throws SQLException {
        try (OpsDatabase db = OpsDatabase.open(Dialects.of(database(backend)), true, true)) {
            Scripts scripts = scripts(db);
            Flyway flyway = listing(db, scripts);
            Migrations.applyAll(flyway, line -> {
            });
            List<String> versions = versions(scripts);
            execute(flyway, "UPDATE " + flyway.getConfiguration().getTable() + " SET success = FALSE WHERE version = '"
                    + versions.get(versions.size() - 1) + "'");
            assertThat(Migrations.upToDate(flyway)).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "sqlite", "postgresql" })
    void aFlywayThatCannotListItsScriptsLeavesItToThePlan(String backend) {
        try (OpsDatabase db = OpsDatabase.open(Dialects.of(database(backend)), true, true)) {
            Migrations.applyAll(db.flyway(), line -> {
            });
            assertThat(db.flyway().getConfiguration().getResourceProvider()).isNull();
            assertThat(Migrations.upToDate(db.flyway())).isEmpty();
            assertThat(Migrations.plan(db.flyway()).pending()).isEmpty();
        }
    }
}
