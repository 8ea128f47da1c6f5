package dev.parley.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Write transactions only add segments to the search index (V12: automerge 0); the merge steps that the writer runs
 * in idle time combine them, report when there is nothing left to merge, and leave the index exact.
 */
class SqliteSearchMergeTest {

    @TempDir
    Path dir;

    @Test
    void mergeStepsCombineTheSegmentsOfSmallTransactionsUntilNothingIsLeft() throws Exception {
        String url = FtsTestDatabase.create(dir.resolve("merge.db"));
        try (Connection c = DriverManager.getConnection(url)) {
            for (int i = 0; i < 40; i++) { // autocommit: one transaction, so one segment, each
                FtsTestDatabase.addMessage(c, "m" + i, "segment number " + i + " of the merge test");
            }
            int steps = 0;
            while (SqliteSearchMerge.mergeStep(c, SqliteSearchMerge.PAGES)) {
                steps++;
                assertThat(steps).as("merge steps before nothing is left").isLessThan(100);
            }
            assertThat(steps).isPositive();
            assertThat(SqliteSearchMerge.mergeStep(c, SqliteSearchMerge.PAGES)).isFalse();
            try (Statement st = c.createStatement()) {
                st.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)");
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM messages_fts WHERE messages_fts "
                    + "MATCH '\"merge\"'"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(40);
            }
        }
    }
}
