package dev.parley.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.parley.store.SearchQuery;
import dev.parley.store.SearchText;

/**
 * The rank of a SQLite search hit: Okapi BM25 with FTS5's own constants and formula (its {@code bm25()}: k1 = 1.2,
 * b = 0.75, idf = ln((N - n + 0.5) / (n + 0.5)), at least 1e-6), computed here over the ranked window's texts.
 *
 * <p>Why not FTS5's {@code bm25()}: to get each term's n (how many messages hold it) it runs the term's whole query
 * over the whole index, on every search, so its cost grows with the corpus rather than with the window: at a million
 * messages a phrase of two common words took 150 ms to rank 200 hits that FTS5 had found in 1 ms. Here the collection
 * figures come from the index itself ({@code N} and the mean length from FTS5's averages record, one row read per
 * search), and n from {@code messages_fts_vocab} (V15), cached for a minute per term: ranks move by less than that
 * lets a count go stale. A phrase's n is taken as its rarest word's (an upper bound; FTS5 counts the phrase itself) and
 * a prefix's as the sum over the words it begins (a message with two of them counts twice), so ranks of phrases and
 * prefixes can differ a little from FTS5's; a query of one term orders its hits exactly as FTS5 would, whatever n is.
 * A term's occurrences in a hit and the hit's length in words are counted by {@link SearchText}, which splits text as
 * FTS5's {@code unicode61} tokenizer does for letters, digits and marks.
 */
final class SqliteRank {

    static final double K1 = 1.2;
    static final double B = 0.75;
    /** How long a word's count of messages is reused. */
    static final long COUNT_TTL_NANOS = 60_000_000_000L;
    /** Counts kept at most; beyond, the cache starts again (a cheap bound, not an LRU). */
    static final int MAX_COUNTS = 20_000;

    private record Count(long messages, long at) {
    }

    private final Map<String, Count> counts = new ConcurrentHashMap<>();
    private final SqlitePrefixes prefixes;

    SqliteRank(SqlitePrefixes prefixes) {
        this.prefixes = prefixes;
    }

    SqliteRank() {
        this(new SqlitePrefixes());
    }

    /** The index's size: messages indexed and their words in all. */
    record Collection(long rows, long words) {

        double meanLength() {
            return rows == 0 ? 1 : Math.max(1, (double) words / rows);
        }
    }

    /** One included term of a query, as the rank needs it. */
    record Needle(List<String> words, boolean prefix, double idf) {
    }

    /** FTS5's averages record (rowid 1 of {@code messages_fts_data}): varints, the row count then each column's total. */
    static Collection collection(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT block FROM messages_fts_data WHERE id = 1");
                ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return new Collection(0, 0);
            }
            byte[] block = rs.getBytes(1);
            if (block == null || block.length == 0) {
                return new Collection(0, 0);
            }
            int[] at = {0};
            long rows = varint(block, at);
            long words = at[0] < block.length ? varint(block, at) : 0;
            return new Collection(rows, words);
        }
    }

    /** SQLite's varint: big-endian groups of 7 bits, high bit set on all but the last; a ninth byte gives 8 bits. */
    static long varint(byte[] b, int[] at) {
        long v = 0;
        for (int i = 0; i < 8 && at[0] < b.length; i++) {
            int x = b[at[0]++] & 0xff;
            v = (v << 7) | (x & 0x7f);
            if ((x & 0x80) == 0) {
                return v;
            }
        }
        if (at[0] < b.length) {
            v = (v << 8) | (b[at[0]++] & 0xff);
        }
        return v;
    }

    /** The query's included terms with their idf. */
    List<Needle> needles(Connection c, SearchQuery query, Collection collection) throws SQLException {
        List<Needle> needles = new ArrayList<>();
        for (SearchQuery.Term t : query.included()) {
            List<String> words = SearchText.needle(t);
            if (words.isEmpty()) {
                continue;
            }
            boolean prefix = t.kind() == SearchQuery.Kind.PREFIX;
            long n = Long.MAX_VALUE;
            for (int i = 0; i < words.size(); i++) {
                n = Math.min(n, messagesWith(c, words.get(i), prefix && i == words.size() - 1));
            }
            needles.add(new Needle(words, prefix, idf(collection.rows(), n)));
        }
        return needles;
    }

    static double idf(long rows, long n) {
        double idf = Math.log((rows - n + 0.5) / (n + 0.5));
        return idf <= 0 || Double.isNaN(idf) ? 1e-6 : idf;
    }

    /** BM25 of one text: the sum over the needles of idf times the saturated, length-normalised occurrence count. */
    static double score(String content, List<Needle> needles, Collection collection) {
        SearchText.Words words = new SearchText.Words(content);
        double norm = K1 * (1 - B + B * words.count() / collection.meanLength());
        double score = 0;
        for (Needle needle : needles) {
            int f = words.occurrences(needle.words(), needle.prefix());
            score += needle.idf() * (f * (K1 + 1)) / (f + norm);
        }
        return score;
    }

    /** How many indexed messages hold {@code word} (or, for a prefix, a word it begins: summed per word). */
    private long messagesWith(Connection c, String word, boolean prefix) throws SQLException {
        if (prefix) {
            return prefixes.vocabulary(c, word).messages();
        }
        long now = System.nanoTime();
        Count cached = counts.get(word);
        if (cached != null && now - cached.at() < COUNT_TTL_NANOS) {
            return cached.messages();
        }
        long n;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT coalesce(sum(doc), 0) FROM messages_fts_vocab WHERE term = ?")) {
            ps.setString(1, word);
            try (ResultSet rs = ps.executeQuery()) {
                n = rs.next() ? rs.getLong(1) : 0;
            }
        }
        if (counts.size() >= MAX_COUNTS) {
            counts.clear();
        }
        counts.put(word, new Count(n, now));
        return n;
    }
}
