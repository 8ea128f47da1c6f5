package dev.parley.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class DatabaseUrlTest {

    @Test
    void unsetMeansSqliteUnderData() {
        DatabaseUrl url = DatabaseUrl.parse(null);
        assertThat(url.isSqlite()).isTrue();
        assertThat(url.sqlitePath()).isEqualTo(Path.of("data/parley.db").toAbsolutePath());
        assertThat(DatabaseUrl.parse("  ").isSqlite()).isTrue();
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
        assertThat(url.isSqlite()).isFalse();
        assertThat(url.username()).isEqualTo("app");
        assertThat(url.password()).isEqualTo("p@ss:w0rd");
        assertThat(url.jdbcPostgresUrl()).isEqualTo("jdbc:postgresql://db.internal:6543/parley?sslmode=require");
        assertThat(url.reactivePostgresUrl()).isEqualTo("postgresql://db.internal:6543/parley?sslmode=require");
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
