package dev.parley.store.sqlite;

import static dev.parley.store.sqlite.SqliteCodec.getId;
import static dev.parley.store.sqlite.SqliteCodec.getInstant;
import static dev.parley.store.sqlite.SqliteCodec.setId;
import static dev.parley.store.sqlite.SqliteCodec.setInstant;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.Message;
import dev.parley.store.SearchCursor;
import dev.parley.store.SearchQuery;
import dev.parley.store.SearchStore;
import dev.parley.store.SearchText;
import io.smallrye.mutiny.Uni;

/**
 * Search on SQLite: FTS5 ({@code messages_fts}, V12) finds the matching rowids in the tenant's rowid range, newest
 * first; the newest {@link SearchStore#RANKED_WINDOW} of them are ranked with BM25 ({@link SqliteRank}); older matches
 * follow in rowid order.
 * The join to {@code messages} and {@code conversations} checks the tenant exactly and applies the filters, in the
 * same query. Both parts of a page are read in one read transaction.
 */
@ApplicationScoped
@Typed(SqliteSearchStore.class)
public class SqliteSearchStore implements SearchStore {

    private final SqliteReaders readers;
    private final SqlitePrefixes prefixes = new SqlitePrefixes();
    private final SqliteRank rank = new SqliteRank(prefixes);

    SqliteSearchStore(SqliteReaders readers) {
        this.readers = readers;
    }

    /**
     * The query as an FTS5 expression made only of double-quoted strings (a quote inside doubled), each of which FTS5
     * tokenizes like the text (a string of several tokens is a phrase), so nothing the user typed is read as FTS5
     * syntax: {@code ("a" AND "b c" AND "d"*) NOT ("x" OR "y")}. The tenant is not part of it: it is a rowid range.
     */
    static String matchExpression(SearchQuery query) throws SQLException {
        return matchExpression(query, term -> null);
    }

    /** The words of the index a prefix term begins ({@link SqlitePrefixes}), or null for FTS5's prefix query. */
    interface Expansions {
        List<String> of(SearchQuery.Term prefix) throws SQLException;
    }

    /**
     * As {@link #matchExpression(SearchQuery)}, with each prefix term that has an expansion written as the words it
     * begins: {@code ("masi" OR "masika")} for {@code "masi"*}, the same matches.
     */
    static String matchExpression(SearchQuery query, Expansions expansions) throws SQLException {
        String included = joined(query.included(), " AND ", expansions);
        List<SearchQuery.Term> excluded = query.excludedTerms();
        return excluded.isEmpty() ? included : included + " NOT " + joined(excluded, " OR ", expansions);
    }

    /** The terms, each as {@link #term}, joined by {@code operator}, in parentheses. */
    private static String joined(List<SearchQuery.Term> terms, String operator, Expansions expansions)
            throws SQLException {
        StringBuilder sql = new StringBuilder("(");
        for (int i = 0; i < terms.size(); i++) {
            sql.append(i == 0 ? "" : operator).append(term(terms.get(i), expansions));
        }
        return sql.append(')').toString();
    }

    private static String term(SearchQuery.Term term, Expansions expansions) throws SQLException {
        List<String> words = term.kind() == SearchQuery.Kind.PREFIX ? expansions.of(term) : null;
        if (words == null || words.isEmpty()) {
            return quoted(term); // an empty expansion: no word begins so, and FTS5 finds that out quickly
        }
        return words.stream().map(w -> "\"" + w + "\"").collect(Collectors.joining(" OR ", "(", ")"));
    }

    /** The expansion of a prefix term of one word; multi-word prefixes (a phrase whose last word continues) stay. */
    private List<String> expansion(Connection c, SearchQuery.Term term, UUID tenantId) throws SQLException {
        List<String> words = SearchText.needle(term);
        return words.size() == 1 ? prefixes.words(c, words.get(0), tenantId) : null;
    }

    /** The index's rowids hold the tenant's number above this many bits, the message's rowid below (V12). */
    static final int TENANT_SHIFT = 36;

    private static String quoted(SearchQuery.Term term) {
        String s = "\"" + term.text().replace("\"", "\"\"") + "\"";
        return term.kind() == SearchQuery.Kind.PREFIX ? s + "*" : s;
    }

    @Override
    public Uni<Page> search(UUID tenantId, SearchQuery query, Filter filter, SearchCursor after, int limit) {
        return readers.read(c -> {
            Long number = tenantNumber(c, tenantId);
            if (number == null) {
                return new Page(List.of(), null); // nothing of this tenant's was ever indexed
            }
            String match = matchExpression(query, term -> expansion(c, term, tenantId));
            Range range = new Range(number << TENANT_SHIFT, (number + 1) << TENANT_SHIFT);
            List<Hit> rows;
            SearchCursor.Floor floor;
            if (after == null || after.ranked()) {
                Ranked ranked = ranked(c, match, query, range, tenantId, filter, after, limit + 1);
                rows = ranked.rows();
                floor = ranked.floor();
                if (rows.size() <= limit && floor != null) {
                    rows.addAll(older(c, match, range, tenantId, filter, floor.position(), limit + 1 - rows.size()));
                }
            } else {
                floor = null;
                rows = older(c, match, range, tenantId, filter, after.position(), limit + 1);
            }
            return Page.of(rows, limit, floor);
        });
    }

    /** The tenant's rowids in the index: from {@code low} (inclusive) to {@code high} (exclusive). */
    private record Range(long low, long high) {
    }

    private static Long tenantNumber(Connection c, UUID tenantId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT number FROM messages_fts_tenants WHERE tenant_id = ?")) {
            setId(ps, 1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    /** The ranked window's hits after the cursor (at most {@code n}), and where the window ends. */
    private record Ranked(List<Hit> rows, SearchCursor.Floor floor) {
    }

    /** The filters, as conditions on {@code m} (messages) and {@code c} (conversations); bound by bindFilters. */
    private static String filters(Filter filter) {
        StringBuilder sql = new StringBuilder();
        if (filter.role() != null) {
            sql.append(" AND m.role = ?");
        }
        if (filter.conversationId() != null) {
            sql.append(" AND m.conversation_id = ?");
        }
        if (filter.from() != null) {
            sql.append(" AND m.created_at >= ?");
        }
        if (filter.to() != null) {
            sql.append(" AND m.created_at < ?");
        }
        if (filter.archived() != null) {
            sql.append(" AND c.archived = ?");
        }
        return sql.toString();
    }

    private static int bindFilters(PreparedStatement ps, int i, Filter filter) throws SQLException {
        if (filter.role() != null) {
            ps.setString(i++, filter.role().id());
        }
        if (filter.conversationId() != null) {
            setId(ps, i++, filter.conversationId());
        }
        if (filter.from() != null) {
            setInstant(ps, i++, filter.from());
        }
        if (filter.to() != null) {
            setInstant(ps, i++, filter.to());
        }
        if (filter.archived() != null) {
            ps.setInt(i++, filter.archived() ? 1 : 0);
        }
        return i;
    }

    /**
     * The tenant's matching messages with the filters applied, as rows of {@code messages_fts}, {@code m} and
     * {@code c}; the tenant is the index's rowid range, and the join checks it exactly.
     */
    private static String matches(Filter filter) {
        return "FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid & " + ((1L << TENANT_SHIFT) - 1)
                + " JOIN conversations c ON c.id = m.conversation_id WHERE messages_fts MATCH ? "
                + "AND messages_fts.rowid >= ? AND messages_fts.rowid < ? AND m.tenant_id = ? AND c.tenant_id = ?"
                + filters(filter);
    }

    /** The columns of a hit ({@link #map}), read with {@link #matches}. */
    private static final String HITS = "SELECT messages_fts.rowid AS position, m.id, m.conversation_id, m.role, "
            + "m.created_at, m.content, c.title ";

    /**
     * The ranked window: FTS5 walks the tenant's matches newest first (its rowid order, which the query consumes, so
     * it stops after {@code RANKED_WINDOW} matches on the first page), and {@link SqliteRank} ranks them (BM25) from
     * their texts; the page is the best of them after the cursor. After the first page the window is every match from
     * its floor on (the same matches, plus any stored since).
     */
    private Ranked ranked(Connection c, String match, SearchQuery query, Range range, UUID tenantId, Filter filter,
            SearchCursor after, int n) throws SQLException {
        SearchCursor.Floor floor = after == null ? null : after.floor();
        String sql = HITS + matches(filter) + (floor != null ? " AND messages_fts.rowid >= ?" : "")
                + " ORDER BY messages_fts.rowid DESC" + (after == null ? " LIMIT " + RANKED_WINDOW : "");
        List<Hit> window = new ArrayList<>(after == null ? RANKED_WINDOW : 2 * RANKED_WINDOW);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = bindMatch(ps, match, range, tenantId, filter);
            if (floor != null) {
                ps.setLong(i, floor.position());
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    window.add(map(rs, 0, true));
                }
            }
        }
        if (window.isEmpty()) {
            return new Ranked(new ArrayList<>(), floor);
        }
        SqliteRank.Collection collection = SqliteRank.collection(c);
        List<SqliteRank.Needle> needles = rank.needles(c, query, collection);
        List<Hit> ranked = new ArrayList<>(window.size());
        for (Hit h : window) {
            ranked.add(new Hit(h.conversationId(), h.conversationTitle(), h.messageId(), h.role(), h.createdAt(),
                    h.content(), SqliteRank.score(h.content(), needles, collection), true, h.position()));
        }
        long windowFloor = window.get(window.size() - 1).position();
        ranked.sort(Comparator.comparingDouble(Hit::rank).reversed()
                .thenComparing(Comparator.comparingLong(Hit::position).reversed()));
        if (after != null) {
            // ranks depend on the whole index, so a message stored since the previous page shifts them a little; the
            // page boundary is therefore the cursor's message's rank as it is now (its stored rank only if that
            // message is gone), which keeps the order of the pages consistent
            double boundary = after.rank();
            for (Hit h : ranked) {
                if (h.position() == after.position()) {
                    boundary = h.rank();
                    break;
                }
            }
            double b = boundary;
            ranked.removeIf(h -> !(h.rank() < b || (h.rank() == b && h.position() < after.position())));
        }
        List<Hit> rows = new ArrayList<>(ranked.subList(0, Math.min(n, ranked.size())));
        if (after != null) {
            return new Ranked(rows, floor);
        }
        // on SQLite the rowid alone places the floor; the id is carried for PostgreSQL's sake
        return new Ranked(rows, window.size() >= RANKED_WINDOW ? new SearchCursor.Floor(windowFloor, new UUID(0, 0))
                : null);
    }

    /** Binds what every search query starts with: the match, the tenant's rowid range, the tenant, the filters. */
    private static int bindMatch(PreparedStatement ps, String match, Range range, UUID tenantId, Filter filter)
            throws SQLException {
        int i = 1;
        ps.setString(i++, match);
        ps.setLong(i++, range.low());
        ps.setLong(i++, range.high());
        setId(ps, i++, tenantId);
        setId(ps, i++, tenantId);
        return bindFilters(ps, i, filter);
    }

    /** The matches older than {@code before} (a rowid), newest first: FTS5's own order, so no sorting. */
    private static List<Hit> older(Connection c, String match, Range range, UUID tenantId, Filter filter, long before,
            int n) throws SQLException {
        String sql = HITS + matches(filter) + " AND messages_fts.rowid < ? ORDER BY messages_fts.rowid DESC LIMIT ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = bindMatch(ps, match, range, tenantId, filter);
            ps.setLong(i++, before);
            ps.setInt(i, n);
            List<Hit> rows = new ArrayList<>(n);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(map(rs, 0, false));
                }
            }
            return rows;
        }
    }

    private static Hit map(ResultSet rs, double rank, boolean ranked) throws SQLException {
        return new Hit(getId(rs, "conversation_id"), rs.getString("title"), getId(rs, "id"),
                Message.Role.of(rs.getString("role")), getInstant(rs, "created_at"), rs.getString("content"), rank,
                ranked, rs.getLong("position"));
    }
}
