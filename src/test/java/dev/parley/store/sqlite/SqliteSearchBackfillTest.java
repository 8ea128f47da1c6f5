package dev.parley.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Messages stored before the search migration are indexed by the backfill, batch by batch, while the triggers index
 * new ones and deletes (also of messages the backfill has not reached) keep the index exact.
 */
class SqliteSearchBackfillTest {

    @TempDir
    Path dir;

    @Test
    void messagesStoredBeforeTheMigrationBecomeSearchableBatchByBatch() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("old.db");
        Flyway.configure().dataSource(url, null, null).locations("db/migration/sqlite").target("8").load().migrate();
        try (Connection c = DriverManager.getConnection(url)) {
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA foreign_keys = ON");
                st.execute("INSERT INTO tenants (id, name, created_at) VALUES ('t', 'T', 0)");
                st.execute("INSERT INTO conversations (id, tenant_id, title, model, archived, created_at, updated_at) "
                        + "VALUES ('c1', 't', 'one', 'demo', 0, 0, 0), ('c2', 't', 'two', 'demo', 0, 0, 0)");
            }
            for (int i = 0; i < 30; i++) {
                insertMessage(c, "old" + i, i % 3 == 0 ? "c2" : "c1", "earlier café message " + i);
            }
            Flyway.configure().dataSource(url, null, null).locations("db/migration/sqlite").load().migrate();
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA foreign_keys = ON");
            }
            assertThat(SqliteSearchBackfill.pending(c)).isEqualTo(new SqliteSearchBackfill.Pending(30, 30));
            assertThat(hits(c, "cafe")).isZero();

            insertMessage(c, "new", "c1", "a later cafe message");
            assertThat(hits(c, "cafe")).isOne();
            // c2's messages go before the backfill reached them: nothing to remove from the index, nothing broken
            try (Statement st = c.createStatement()) {
                st.execute("DELETE FROM conversations WHERE id = 'c2'");
            }

            int batches = 0;
            long left;
            do {
                left = SqliteSearchBackfill.indexBatch(c, 7).pendingUpto();
                batches++;
                if (left > 0) {
                    assertThat(hits(c, "earlier")).isBetween(1L, 19L);
                }
            } while (left > 0);
            assertThat(batches).isEqualTo(5);
            assertThat(SqliteSearchBackfill.indexBatch(c, 7)).isEqualTo(new SqliteSearchBackfill.Batch(0, 0));
            assertThat(hits(c, "earlier")).isEqualTo(20);
            assertThat(hits(c, "cafe")).isEqualTo(21);
            try (Statement st = c.createStatement()) {
                st.execute("DELETE FROM conversations WHERE id = 'c1'");
            }
            assertThat(hits(c, "cafe")).isZero();
            try (Statement st = c.createStatement()) {
                st.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)");
            }
        }
    }

    @Test
    void aDatabaseCreatedWithTheSearchSchemaHasNothingToBackfill() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("new.db");
        Flyway.configure().dataSource(url, null, null).locations("db/migration/sqlite").load().migrate();
        try (Connection c = DriverManager.getConnection(url)) {
            assertThat(SqliteSearchBackfill.pending(c)).isEqualTo(new SqliteSearchBackfill.Pending(0, 0));
            // the check itself: an index missing a row is reported (the kind of damage the watermark prevents)
            try (Statement st = c.createStatement()) {
                st.execute("INSERT INTO tenants (id, name, created_at) VALUES ('t', 'T', 0)");
                st.execute("INSERT INTO conversations (id, tenant_id, title, model, archived, created_at, updated_at) "
                        + "VALUES ('c1', 't', 'one', 'demo', 0, 0, 0)");
                st.execute("UPDATE messages_fts_backfill SET pending_upto = 1000");
            }
            insertMessage(c, "m", "c1", "never indexed");
            assertThatThrownBy(() -> {
                try (Statement st = c.createStatement()) {
                    st.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)");
                }
            }).isInstanceOf(SQLException.class);
        }
    }

    private static void insertMessage(Connection c, String id, String conversation, String content)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO messages (id, tenant_id, conversation_id, role, "
                + "content, created_at) VALUES (?, 't', ?, 'user', ?, 0)")) {
            ps.setString(1, id);
            ps.setString(2, conversation);
            ps.setString(3, content);
            ps.executeUpdate();
        }
    }

    private static long hits(Connection c, String word) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?")) {
            ps.setString(1, "\"" + word + "\"");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
