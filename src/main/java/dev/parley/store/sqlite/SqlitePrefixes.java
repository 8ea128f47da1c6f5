package dev.parley.store.sqlite;

import static dev.parley.store.sqlite.SqliteCodec.setId;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import dev.parley.store.SearchQuery;
import dev.parley.store.SearchText;

/**
 * The words of the search index a prefix begins, so that a prefix search can ask FTS5 for those words ({@code ("masi"
 * OR "masika" OR ...)}) instead of for the prefix ({@code "masi"*}).
 *
 * <p>Why: FTS5 answers a prefix by reading and merging the whole list of messages of every word the prefix begins,
 * over the whole index, before it looks at the tenant's rowid range or stops at the ranked window; at a million
 * messages a four-letter prefix of a common word took 11.5 ms where the same words asked for by name took 1 ms (FTS5
 * seeks each word's list to the range and stops after the window).
 *
 * <p>The words come from {@code messages_fts_vocab} (V15) and are kept for {@link #TTL_NANOS}, with the highest rowid
 * of {@code messages} when they were read. A search adds the words of the tenant's messages stored since, split and
 * folded by {@link SearchText} (at most {@link #MAX_NEW_MESSAGES}; more, and the words are read again), so a word
 * written a moment ago is found at once. Only a prefix of lower-case ASCII letters and digits is expanded (Java's
 * folding is FTS5's there), only when it begins at most {@link #MAX_WORDS} words (beyond, FTS5's own prefix query costs
 * no more than the long OR), and not while the backfill still indexes older messages (their words are not in the
 * vocabulary yet). Otherwise the search uses FTS5's prefix query. Two cases can hide a new word from a prefix search
 * until the words are read again (at most a minute): a letter Java folds differently from FTS5 (FTS5 folds
 * {@code ø} to {@code o}, Java keeps it), and a message stored under a rowid below the recorded one, which SQLite
 * gives only after the newest messages were deleted.
 */
final class SqlitePrefixes {

    /** How long the words of a prefix are reused. */
    static final long TTL_NANOS = 60_000_000_000L;
    /** Words at most in an expansion. */
    static final int MAX_WORDS = 64;
    /** Messages stored since the words were read, at most, whose words a search adds; beyond, they are read again. */
    static final int MAX_NEW_MESSAGES = 500;
    /** Prefixes kept at most; beyond, the cache starts again (a cheap bound, not an LRU). */
    static final int MAX_PREFIXES = 20_000;

    /**
     * What the index held for a prefix when read: its words (null when more than {@link #MAX_WORDS}, or while the
     * backfill runs), the messages holding them (summed per word), and the highest rowid of {@code messages} then.
     */
    record Vocabulary(List<String> words, long messages, long upto, long at) {
    }

    private final Map<String, Vocabulary> cache = new ConcurrentHashMap<>();

    /** Whether a folded prefix may be expanded: lower-case ASCII letters and digits only. */
    static boolean expandable(String prefix) {
        if (prefix.isEmpty()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            char ch = prefix.charAt(i);
            if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) {
                return false;
            }
        }
        return true;
    }

    /** The vocabulary of a folded prefix, read again when older than the TTL. */
    Vocabulary vocabulary(Connection c, String prefix) throws SQLException {
        Vocabulary cached = cache.get(prefix);
        return fresh(cached) ? cached : read(c, prefix, newest(c));
    }

    private static boolean fresh(Vocabulary v) {
        return v != null && System.nanoTime() - v.at() < TTL_NANOS;
    }

    /** The highest rowid of {@code messages}: what was stored last. */
    private static long newest(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(rowid), 0) FROM messages");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Reads the vocabulary of a prefix as of {@code upto}, the newest rowid in the caller's read transaction. */
    private Vocabulary read(Connection c, String prefix, long upto) throws SQLException {
        boolean backfilling;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT coalesce(max(pending_upto), 0) FROM messages_fts_backfill");
                ResultSet rs = ps.executeQuery()) {
            backfilling = rs.next() && rs.getLong(1) > 0;
        }
        List<String> words = new ArrayList<>();
        long messages = 0;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT term, doc FROM messages_fts_vocab WHERE term >= ? AND term < ?")) {
            ps.setString(1, prefix);
            ps.setString(2, prefix + Character.toString(Character.MAX_CODE_POINT));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (words != null) {
                        words.add(rs.getString(1));
                        if (words.size() > MAX_WORDS) {
                            words = null;
                        }
                    }
                    messages += rs.getLong(2);
                }
            }
        }
        Vocabulary v = new Vocabulary(backfilling || words == null ? null : List.copyOf(words), messages, upto,
                System.nanoTime());
        if (cache.size() >= MAX_PREFIXES) {
            cache.clear();
        }
        cache.put(prefix, v);
        return v;
    }

    /**
     * The words a prefix begins in the tenant's indexed messages, as of now (a superset: some may be in other tenants'
     * messages only), or null when the search should use FTS5's prefix query.
     */
    List<String> words(Connection c, String prefix, UUID tenantId) throws SQLException {
        if (!expandable(prefix)) {
            return null;
        }
        long newest = newest(c);
        Vocabulary v = cache.get(prefix);
        if (!fresh(v) || newest - v.upto() > MAX_NEW_MESSAGES) {
            v = read(c, prefix, newest);
        }
        if (v.words() == null) {
            return null;
        }
        if (newest <= v.upto()) {
            return v.words();
        }
        Set<String> words = new LinkedHashSet<>(v.words());
        // the rowid range, not the tenant's index: at most MAX_NEW_MESSAGES rows are read
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT content FROM messages WHERE rowid > ? AND +tenant_id = ?")) {
            ps.setLong(1, v.upto());
            setId(ps, 2, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String text = rs.getString(1);
                    SearchText.split(text, (start, end) -> {
                        if (end - start >= prefix.length() && mayBegin(text, start, prefix)) {
                            String word = SearchQuery.fold(text.substring(start, end));
                            if (word.startsWith(prefix)) {
                                words.add(word);
                            }
                        }
                    });
                }
            }
        }
        return words.size() > MAX_WORDS ? null : List.copyOf(words);
    }

    /** False when the word at {@code start} certainly does not fold to something beginning with the prefix. */
    private static boolean mayBegin(String text, int start, String prefix) {
        for (int i = 0; i < prefix.length(); i++) {
            char ch = text.charAt(start + i);
            if (ch >= 0x80) {
                return true; // folding may change it: fold and compare
            }
            if (Character.toLowerCase(ch) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
