package dev.parley.ops.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

import dev.parley.store.RootCause;
import dev.parley.store.Table;

/**
 * Copies every Parley table from one database to another (SQLite to PostgreSQL, or back), then proves the copy.
 * <ul>
 * <li>Tables go parents first, rows in key order, in batches; each batch is one target transaction, so the target
 * always holds a key-ordered prefix of each table and {@code resume} continues after the largest key already there,
 * without duplicating a row.</li>
 * <li>The source is read in one snapshot (one read transaction on SQLite, REPEATABLE READ on PostgreSQL).</li>
 * <li>Values go through their logical types ({@link dev.parley.store.ColumnType}) and each adapter's codec
 * ({@link dev.parley.store.Dialect}): ids, microsecond UTC instants, booleans and JSON come out as they went in. Each
 * dialect writes in bulk its own way (PostgreSQL: {@code COPY}; SQLite: batched inserts).</li>
 * <li>Verification reads both sides again in key order and compares per-table row counts and a SHA-256 over each
 * row's canonical bytes ({@link RowCanon}), naming the first differing key.</li>
 * </ul>
 */
public final class CopyData {

    /** Told about progress; a test can throw from it to interrupt a copy between batches. */
    public interface Listener {
        default void tableStarted(Table table, long sourceRows, long alreadyCopied) {
        }

        default void batchCommitted(Table table, int rows) {
        }

        default void tableFinished(Table table) {
        }
    }

    public record Options(boolean resume, int batchSize) {
    }

    public record TableCheck(String table, long sourceRows, long targetRows, String sourceChecksum,
            String targetChecksum, long differingRows, String firstDifference) {
        public boolean ok() {
            return sourceRows == targetRows && sourceChecksum.equals(targetChecksum) && differingRows == 0;
        }
    }

    public record Report(long rowsCopied, Duration copyTime, List<String> sequences, List<TableCheck> checks) {
        public boolean verified() {
            return checks.stream().allMatch(TableCheck::ok);
        }
    }

    /** Refused before anything was written; one line. */
    public static final class Refused extends RuntimeException {
        public Refused(String message) {
            super(message, null, false, false);
        }
    }

    private CopyData() {
    }

    /** Copies and verifies. Both schemas must already be at the same version (see {@code copy-data}). */
    public static Report copy(OpsDatabase from, OpsDatabase to, Options options, Listener listener)
            throws SQLException {
        if (!options.resume()) {
            List<String> nonEmpty = new ArrayList<>();
            for (Table t : Table.ALL) {
                long n = to.count(t);
                if (n > 0) {
                    nonEmpty.add(t.name() + " " + n);
                }
            }
            if (!nonEmpty.isEmpty()) {
                throw new Refused("target " + to.describe() + " already holds data (" + String.join(", ", nonEmpty)
                        + " rows); copy into an empty database, or pass --resume to continue an interrupted copy");
            }
        }
        long start = System.nanoTime();
        long copied = 0;
        Connection src = from.connection();
        Connection dst = to.connection();
        src.setAutoCommit(false);
        from.dialect().readSnapshot(src);
        dst.setAutoCommit(false);
        try {
            for (Table t : Table.ALL) {
                copied += copyTable(from, to, t, options, listener);
            }
            List<String> sequences = to.dialect().afterCopy(dst, Table.ALL);
            dst.commit();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            src.commit();
            return new Report(copied, took, sequences, verify(from, to));
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(dst);
            rollbackQuietly(src);
            throw e;
        }
    }

    private static long copyTable(OpsDatabase from, OpsDatabase to, Table t, Options options, Listener listener)
            throws SQLException {
        Object after = options.resume() ? to.maxKey(t) : null;
        long already = options.resume() ? to.count(t) : 0;
        listener.tableStarted(t, from.count(t), already);
        // Rows reads ahead on a thread of its own: the next batch is read while this one is written and committed,
        // in order, so the target still only ever holds a key-ordered prefix.
        long copied = 0;
        try (Rows rows = new Rows(from, t, after, options.batchSize(), false)) {
            for (List<Object[]> batch = rows.nextBatch(); batch != null; batch = rows.nextBatch()) {
                to.insert(t, batch);
                to.connection().commit();
                copied += batch.size();
                listener.batchCommitted(t, batch.size());
            }
        }
        listener.tableFinished(t);
        return copied;
    }

    /** Compares both databases table by table; see {@link TableCheck}. */
    public static List<TableCheck> verify(OpsDatabase a, OpsDatabase b) throws SQLException {
        List<TableCheck> checks = new ArrayList<>();
        for (Table t : Table.ALL) {
            checks.add(verify(a, b, t));
        }
        return checks;
    }

    private static TableCheck verify(OpsDatabase a, OpsDatabase b, Table t) throws SQLException {
        MessageDigest da = sha256();
        MessageDigest db = sha256();
        long na = 0;
        long nb = 0;
        long differing = 0;
        String first = null;
        int key = t.keyIndex();
        try (Rows ra = new Rows(a, t, null, 1000, true); Rows rb = new Rows(b, t, null, 1000, true)) {
            boolean hasA = ra.next();
            boolean hasB = rb.next();
            while (hasA || hasB) {
                int order = !hasA ? 1 : !hasB ? -1 : compareKeys(ra.row[key], rb.row[key]);
                if (order == 0) {
                    byte[] ea = RowCanon.encode(t, ra.row);
                    byte[] eb = RowCanon.encode(t, rb.row);
                    da.update(ea);
                    db.update(eb);
                    if (!Arrays.equals(ea, eb)) {
                        differing++;
                        first = first == null ? "row " + ra.row[key] + " differs" : first;
                    }
                    na++;
                    nb++;
                    hasA = ra.next();
                    hasB = rb.next();
                } else if (order < 0) {
                    da.update(RowCanon.encode(t, ra.row));
                    differing++;
                    first = first == null ? "row " + ra.row[key] + " missing from " + b.describe() : first;
                    na++;
                    hasA = ra.next();
                } else {
                    db.update(RowCanon.encode(t, rb.row));
                    differing++;
                    first = first == null ? "row " + rb.row[key] + " missing from " + a.describe() : first;
                    nb++;
                    hasB = rb.next();
                }
            }
        }
        return new TableCheck(t.name(), na, nb, HexFormat.of().formatHex(da.digest()),
                HexFormat.of().formatHex(db.digest()), differing, first);
    }

    /** Keys in the byte order both databases sort by (uuid order = lower-case hex order; text by UTF-8 bytes). */
    private static int compareKeys(Object x, Object y) {
        if (x instanceof UUID || y instanceof UUID) {
            return x.toString().compareTo(y.toString());
        }
        return Arrays.compareUnsigned(x.toString().getBytes(StandardCharsets.UTF_8),
                y.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A key-ordered scan of one table (after a key, if given), as logical values in batches, read ahead by a thread
     * of its own: the copy reads the source while it writes the target, and verification reads both databases at
     * once. With {@code ownTransaction} the scan runs in a transaction of its own; without, it reads inside the
     * caller's (the copy's snapshot).
     */
    private static final class Rows implements AutoCloseable {
        private static final List<Object[]> END = new ArrayList<>();

        private final BlockingQueue<List<Object[]>> ahead = new ArrayBlockingQueue<>(2);
        private final Thread reader;
        private final AtomicReference<Exception> failure = new AtomicReference<>();
        private final String where;
        private List<Object[]> current = List.of();
        private int position;
        private boolean done;
        Object[] row;

        Rows(OpsDatabase db, Table table, Object after, int batchSize, boolean ownTransaction) {
            where = table.name() + " in " + db.describe();
            reader = new Thread(() -> {
                try {
                    scan(db, table, after, batchSize, ownTransaction);
                } catch (InterruptedException e) {
                    return; // the consumer stopped early
                } catch (Exception e) {
                    failure.set(e);
                }
                try {
                    ahead.put(END);
                } catch (InterruptedException ignored) {
                    // the consumer stopped early
                }
            }, "parley-scan-" + table.name());
            reader.setDaemon(true);
            reader.start();
        }

        private void scan(OpsDatabase db, Table table, Object after, int batchSize, boolean ownTransaction)
                throws SQLException, InterruptedException {
            Connection c = db.connection();
            if (ownTransaction && c.getAutoCommit()) {
                c.setAutoCommit(false); // one snapshot; and PostgreSQL streams with a cursor only inside a transaction
            }
            String sql = "SELECT " + table.columnList() + " FROM " + table.name()
                    + (after == null ? "" : " WHERE " + db.dialect().orderByKey(table) + " > ?") + " ORDER BY "
                    + db.dialect().orderByKey(table);
            int width = table.columns().size();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setFetchSize(Math.max(batchSize, 100));
                if (after != null) {
                    db.bind(ps, 1, table.keyType(), after);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    List<Object[]> batch = new ArrayList<>(batchSize);
                    while (rs.next()) {
                        Object[] r = new Object[width];
                        for (int i = 0; i < width; i++) {
                            r[i] = db.read(rs, i + 1, table.columns().get(i).type());
                        }
                        batch.add(r);
                        if (batch.size() >= batchSize) {
                            ahead.put(batch);
                            batch = new ArrayList<>(batchSize);
                        }
                    }
                    if (!batch.isEmpty()) {
                        ahead.put(batch);
                    }
                }
            } finally {
                if (ownTransaction && !c.getAutoCommit()) {
                    c.commit();
                }
            }
        }

        /** The next batch, or null at the end of the table. */
        List<Object[]> nextBatch() throws SQLException {
            if (done) {
                return null;
            }
            List<Object[]> batch;
            try {
                batch = ahead.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while reading " + where, e);
            }
            if (batch == END) {
                done = true;
                Exception failed = failure.get();
                if (failed instanceof SQLException sql) {
                    throw sql;
                } else if (failed != null) {
                    throw new SQLException("reading " + where + " failed: " + RootCause.message(failed), failed);
                }
                return null;
            }
            return batch;
        }

        boolean next() throws SQLException {
            while (position >= current.size()) {
                List<Object[]> batch = nextBatch();
                if (batch == null) {
                    return false;
                }
                current = batch;
                position = 0;
            }
            row = current.get(position++);
            return true;
        }

        @Override
        public void close() {
            reader.interrupt();
            try {
                reader.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the original failure matters more
        }
    }
}
