package dev.parley.store.sqlite;

import static dev.parley.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.parley.testing.SqliteBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** Every SQLite connection, reader and writer alike, runs with the settings Parley depends on. */
@QuarkusTest
@TestProfile(SqliteBackend.class)
class SqliteConnectionSettingsTest {

    @Inject
    SqliteReaders readers;

    @Inject
    SqliteWriter writer;

    private static Map<String, String> pragmas(Connection c) throws SQLException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String p : new String[] { "journal_mode", "busy_timeout", "synchronous", "foreign_keys" }) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA " + p)) {
                rs.next();
                values.put(p, rs.getString(1));
            }
        }
        return values;
    }

    private static final Map<String, String> EXPECTED = Map.of("journal_mode", "wal", "busy_timeout", "30000",
            "synchronous", "1", "foreign_keys", "1");

    @Test
    void readerConnectionsUseWalBusyTimeoutNormalSyncAndForeignKeys() {
        assertThat(result(readers.read(SqliteConnectionSettingsTest::pragmas))).containsAllEntriesOf(EXPECTED);
    }

    @Test
    void writerConnectionUsesTheSameSettings() {
        assertThat(result(writer.submit("pragmas", SqliteConnectionSettingsTest::pragmas)))
                .containsAllEntriesOf(EXPECTED);
    }

    @Test
    void readerConnectionsCannotWrite() {
        Throwable failure = readers.read(c -> {
            try (Statement st = c.createStatement()) {
                st.executeUpdate("DELETE FROM tenants");
            }
            return null;
        }).onItem().transform(ignored -> (Throwable) null).onFailure().recoverWithItem(e -> e)
                .await().indefinitely();
        assertThat(failure).isNotNull().hasMessageContaining("readonly");
    }
}
