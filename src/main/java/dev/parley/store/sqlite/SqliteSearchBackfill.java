package dev.parley.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.parley.store.StoreOverloadedException;

/**
 * Indexes the messages stored before the search migration (V9, and again after V12 changed the index's shape), after
 * start-up, in batches through the writer, so that a large history never holds the write lock for long and new writes
 * go on meanwhile (each batch is one operation of a group commit). Newest first: the most recent history becomes
 * searchable first. It resumes where it stopped after a restart, since its position
 * ({@code messages_fts_backfill.pending_upto}) is committed with each batch; the triggers (V12) index everything above
 * that position as it is written.
 */
@ApplicationScoped
class SqliteSearchBackfill {

    private static final Logger LOG = Logger.getLogger(SqliteSearchBackfill.class);

    /** Rows per writer operation: a few milliseconds of FTS5 work, so other writes queue behind it only briefly. */
    static final int BATCH = 2000;
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    private final SqliteWriter writer;

    SqliteSearchBackfill(SqliteWriter writer) {
        this.writer = writer;
    }

    /** Position and size of what is left: messages at or below {@code pendingUpto} are not indexed yet. */
    record Pending(long pendingUpto, long messages) {
    }

    static Pending pending(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pending_upto, (SELECT count(*) FROM messages WHERE rowid <= "
                        + "pending_upto) FROM messages_fts_backfill")) {
            return rs.next() ? new Pending(rs.getLong(1), rs.getLong(2)) : new Pending(0, 0);
        }
    }

    /** What one batch did: messages indexed, and the position after it (0: nothing left). */
    record Batch(int indexed, long pendingUpto) {
    }

    /**
     * Indexes the next batch (the {@code batch} rowids just at or below the position) and moves the position down,
     * inside the caller's transaction. Rowids have gaps (deleted messages), so a batch may index fewer rows.
     */
    static Batch indexBatch(Connection c, int batch) throws SQLException {
        long upto;
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pending_upto FROM messages_fts_backfill")) {
            upto = rs.next() ? rs.getLong(1) : 0;
        }
        if (upto <= 0) {
            return new Batch(0, 0);
        }
        long from = Math.max(0, upto - batch);
        int indexed;
        try (PreparedStatement ps = c.prepareStatement("INSERT OR IGNORE INTO messages_fts_tenants (tenant_id) "
                + "SELECT DISTINCT tenant_id FROM messages WHERE rowid > ? AND rowid <= ?")) {
            ps.setLong(1, from);
            ps.setLong(2, upto);
            ps.executeUpdate();
        }
        // the index's rowids place each tenant's messages in a range of their own (V12)
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO messages_fts (rowid, content) "
                + "SELECT (t.number << 36) + m.rowid, m.content FROM messages m "
                + "JOIN messages_fts_tenants t ON t.tenant_id = m.tenant_id WHERE m.rowid > ? AND m.rowid <= ?")) {
            ps.setLong(1, from);
            ps.setLong(2, upto);
            indexed = ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE messages_fts_backfill SET pending_upto = ?")) {
            ps.setLong(1, from);
            ps.executeUpdate();
        }
        return new Batch(indexed, from);
    }

    /** Starts indexing on a thread of its own, when there is anything to index; called once the writer runs. */
    void start(Connection reader) throws SQLException {
        Pending pending = pending(reader);
        if (pending.pendingUpto() <= 0) {
            return;
        }
        Thread t = new Thread(() -> run(pending), "parley-search-backfill");
        t.setDaemon(true);
        t.start();
    }

    private void run(Pending pending) {
        LOG.infof("Search index: indexing %d messages stored before search existed, newest first, %d per write",
                pending.messages(), BATCH);
        long start = System.nanoTime();
        long lastReport = start;
        long done = 0;
        long left = pending.pendingUpto();
        while (left > 0) {
            Batch batch;
            try {
                batch = writer.submit("search-backfill", c -> indexBatch(c, BATCH)).await().indefinitely();
            } catch (StoreOverloadedException e) {
                if (!writer.isRunning()) {
                    LOG.infof("Search index: stopped with %d of %d earlier messages indexed; continues at the next "
                            + "start", done, pending.messages());
                    return;
                }
                pause();
                continue;
            } catch (RuntimeException e) {
                LOG.errorf("Search index: stopped with %d of %d earlier messages indexed: %s; continues at the "
                        + "next start", done, pending.messages(), e.getMessage());
                return;
            }
            done += batch.indexed();
            left = batch.pendingUpto();
            long now = System.nanoTime();
            if (left > 0 && now - lastReport >= PROGRESS_EVERY.toNanos()) {
                lastReport = now;
                LOG.infof("Search index: %d of %d earlier messages indexed (%d%%)", done, pending.messages(),
                        pending.messages() == 0 ? 100 : Math.min(100, done * 100 / pending.messages()));
            }
        }
        LOG.infof("Search index: all %d earlier messages indexed in %d ms", done,
                Duration.ofNanos(System.nanoTime() - start).toMillis());
    }

    private static void pause() {
        try {
            // the write queue is full: let the requests that filled it through first
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
