package dev.parley.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.parley.store.postgres.PostgresDialect;

class DatabaseUrlTest {

    @Test
    void unsetMeansSqliteUnderData() {
        DatabaseUrl url = DatabaseUrl.parse(null);
        assertThat(url.backend()).isEqualTo(DatabaseUrl.Backend.SQLITE);
        assertThat(url.sqlitePath()).isEqualTo(Path.of("data/parley.db").toAbsolutePath());
        assertThat(DatabaseUrl.parse("  ").backend()).isEqualTo(DatabaseUrl.Backend.SQLITE);
    }

    @Test
    void sqliteTakesRelativeAndAbsolutePaths() {
        assertThat(DatabaseUrl.parse("sqlite:./x/y.db").sqlitePath()).isEqualTo(Path.of("x/y.db").toAbsolutePath());
        assertThat(DatabaseUrl.parse("sqlite:/var/lib/parley/p.db").sqlitePath()).isEqualTo(Path.of("/var/lib/parley/p.db"));
        assertThat(DatabaseUrl.parse("sqlite:///var/lib/parley/p.db").sqlitePath())
                .isEqualTo(Path.of("/var/lib/parley/p.db"));
    }

    @Test
    void postgresUrlGivesHostPortDatabaseAndDecodedCredentials() {
        DatabaseUrl url = DatabaseUrl.parse("postgresql://app:p%40ss%3Aw0rd@db.internal:6543/parley?sslmode=require");
        assertThat(url.backend()).isEqualTo(DatabaseUrl.Backend.POSTGRESQL);
        assertThat(url.username()).isEqualTo("app");
        assertThat(url.password()).isEqualTo("p@ss:w0rd");
        assertThat(PostgresDialect.datasourceProperties(Optional.of(url)))
                .containsEntry("quarkus.datasource.pgjdbc.jdbc.url",
                        "jdbc:postgresql://db.internal:6543/parley?sslmode=require")
                .containsEntry("quarkus.datasource.reactive.url", "postgresql://db.internal:6543/parley?sslmode=require")
                .containsEntry("quarkus.datasource.password", "p@ss:w0rd");
        assertThat(url.describe()).doesNotContain("p@ss").contains("app@db.internal:6543/parley");
    }

    @Test
    void postgresSchemeAliasAndDefaultPortAreAccepted() {
        DatabaseUrl url = DatabaseUrl.parse("postgres://localhost/app");
        assertThat(url.port()).isEqualTo(5432);
        assertThat(url.username()).isNull();
    }

    @Test
    void badUrlsAreOneLineErrorsWithoutPasswords() {
        assertThatThrownBy(() -> DatabaseUrl.parse("mysql://root:hunter2@h/db"))
                .isInstanceOf(DatabaseUrl.Invalid.class)
                .hasMessageContaining("sqlite: or postgresql://")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://u:hunter2@host")).hasMessageContaining(
                "no database name").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> DatabaseUrl.parse("postgresql:///db")).hasMessageContaining("no host");
        assertThatThrownBy(() -> DatabaseUrl.parse("sqlite:")).hasMessageContaining("needs a file path");
        assertThatThrownBy(() -> DatabaseUrl.parse("sqlite::memory:")).hasMessageContaining("in-memory");
        assertThatThrownBy(() -> DatabaseUrl.parse("sqlite:/tmp/dir/")).hasMessageContaining("directory");
        assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://h:notaport/db")).isInstanceOf(
                DatabaseUrl.Invalid.class);
    }
}
