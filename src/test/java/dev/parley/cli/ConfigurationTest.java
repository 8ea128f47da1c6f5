package dev.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.parley.store.Dialect;

/** The operations commands read the server's configuration: the same names, the same defaults. */
class ConfigurationTest {

    @TempDir
    Path dir;

    @AfterEach
    void clear() {
        System.clearProperty("parley.sqlite.busy-timeout-ms");
        System.clearProperty("parley.backup.keep");
        System.clearProperty("parley.database-url");
    }

    @Test
    void commandsConnectWithTheServersSqliteSettings() throws Exception {
        System.setProperty("parley.sqlite.busy-timeout-ms", "1234");
        Configuration config = Configuration.load();
        Dialect dialect = config.dialect(config.databaseUrl(CommandLine.parse("x",
                new String[] { "--database-url", "sqlite:" + dir.resolve("s.db") }, java.util.Set.of("database-url"),
                java.util.Set.of()), "x"));
        try (Connection c = dialect.connect(true); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("PRAGMA busy_timeout")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1234);
        }
    }

    @Test
    void defaultsAreTheServersDefaults() throws Exception {
        Configuration config = Configuration.load();
        assertThat(config.backups().keep()).isEqualTo(5);
        Dialect dialect = config.dialect(config.databaseUrl(CommandLine.parse("x",
                new String[] { "--database-url", "sqlite:" + dir.resolve("d.db") }, java.util.Set.of("database-url"),
                java.util.Set.of()), "x"));
        try (Connection c = dialect.connect(true); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("PRAGMA busy_timeout")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(30000);
        }
    }

    @Test
    void theDatabaseComesFromTheServersSettingWhenNoOptionNamesIt() {
        System.setProperty("parley.database-url", "sqlite:" + dir.resolve("from-config.db"));
        Configuration config = Configuration.load();
        assertThat(config.databaseUrl(CommandLine.parse("x", new String[0], java.util.Set.of("database-url"),
                java.util.Set.of()), "x").sqlitePath()).isEqualTo(dir.resolve("from-config.db").toAbsolutePath());
    }
}
