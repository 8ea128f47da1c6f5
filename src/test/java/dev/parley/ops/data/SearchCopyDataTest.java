package dev.parley.ops.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * copy-data leaves a working search index on the target, in both directions: SQLite's FTS5 index is filled by its
 * triggers as the rows arrive, PostgreSQL computes the generated tsvector; neither is copied.
 */
class SearchCopyDataTest {

    private static final CopyData.Listener QUIET = new CopyData.Listener() {
    };

    @TempDir
    Path dir;

    @Test
    void bothDirectionsLeaveASearchableIndex() throws Exception {
        try (OpsDatabase sqlite = SampleData.migrated(SampleData.sqliteFile(dir, "source.db"));
                OpsDatabase pg = SampleData.migrated(SampleData.newPostgres());
                OpsDatabase edge = SampleData.migrated(SampleData.sqliteFile(dir, "edge.db"))) {
            SampleData.populate(sqlite, 10, 5);
            // the 50 populated messages say "ünïcödé", the tricky one "unicode: café"; the accent-free word finds all
            assertThat(fts5Hits(sqlite.connection(), "unicode")).isEqualTo(51);

            assertThat(CopyData.copy(sqlite, pg, new CopyData.Options(false, 7), QUIET).verified()).isTrue();
            assertThat(tsvectorHits(pg.connection(), "unicode")).isEqualTo(51);
            assertThat(tsvectorHits(pg.connection(), "conversation 3")).isEqualTo(5);

            assertThat(CopyData.copy(pg, edge, new CopyData.Options(false, 7), QUIET).verified()).isTrue();
            assertThat(fts5Hits(edge.connection(), "unicode")).isEqualTo(51);
            assertThat(fts5Hits(edge.connection(), "backslash")).isEqualTo(1);
            assertIndexMatchesContent(edge.connection());
        }
    }

    static long fts5Hits(Connection c, String word) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?")) {
            ps.setString(1, "\"" + word + "\"");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static long tsvectorHits(Connection c, String words) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM messages WHERE search @@ "
                + "phraseto_tsquery('simple', parley_search_fold(?))")) {
            ps.setString(1, words);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            } finally {
                // copy-data leaves its connections outside autocommit; end this read before the next copy starts
                if (!c.getAutoCommit()) {
                    c.commit();
                }
            }
        }
    }

    /** FTS5's own check of an external-content index against the table: fails on any missing or stale entry. */
    static void assertIndexMatchesContent(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)");
        }
    }
}
