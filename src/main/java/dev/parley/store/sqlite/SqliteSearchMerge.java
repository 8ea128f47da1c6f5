package dev.parley.store.sqlite;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.parley.store.StoreOverloadedException;

/**
 * Merges the search index's segments while the writer has nothing else to do. Since V12 a write transaction only adds
 * its own small segment to the FTS5 index (automerge 0), which keeps the index's cost to the write path low; the
 * segments are merged here, a few pages per writer operation, whenever the writer's queue is empty, so that searches
 * read few segments. Under a write load that leaves no idle time FTS5 itself merges a level once it holds 16
 * segments (crisismerge).
 */
@ApplicationScoped
class SqliteSearchMerge {

    private static final Logger LOG = Logger.getLogger(SqliteSearchMerge.class);

    /** Pages per merge step: a few milliseconds, so a write that arrives meanwhile waits only briefly. */
    static final int PAGES = 64;
    private static final Duration IDLE_CHECK = Duration.ofSeconds(1);

    private final SqliteWriter writer;

    SqliteSearchMerge(SqliteWriter writer) {
        this.writer = writer;
    }

    /**
     * One merge step of at most {@code pages} pages, in the caller's transaction; true when it merged anything. FTS5
     * reports work done only through the connection's change count: the command itself counts one change, the rows
     * a merge writes count more.
     */
    static boolean mergeStep(Connection c, int pages) throws SQLException {
        try (Statement st = c.createStatement()) {
            long before = totalChanges(st);
            st.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('merge', " + pages + ")");
            return totalChanges(st) > before + 1;
        }
    }

    private static long totalChanges(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT total_changes()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Starts merging in idle time on a daemon thread of its own; called once the writer runs. */
    void start() {
        Thread t = new Thread(this::run, "parley-search-merge");
        t.setDaemon(true);
        t.start();
    }

    private void run() {
        long settledAt = -1; // the writer's commit count when merging last found nothing to do
        while (writer.isRunning()) {
            boolean merged = false;
            if (writer.queueDepth() == 0 && writer.commits() != settledAt) {
                try {
                    merged = writer.submit("search-merge", c -> mergeStep(c, PAGES)).await().indefinitely();
                    if (!merged) {
                        settledAt = writer.commits(); // nothing written since: nothing new to merge
                    }
                } catch (StoreOverloadedException e) {
                    merged = false;
                } catch (RuntimeException e) {
                    if (writer.isRunning()) {
                        LOG.warnf("Search index: merging segments failed: %s; tries again later", e.getMessage());
                    }
                }
            }
            if (!merged) {
                try {
                    Thread.sleep(IDLE_CHECK.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
