package dev.parley.store.postgres;

import static dev.parley.store.postgres.PgTurnStore.at;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import org.jboss.logging.Logger;

import dev.parley.store.Message;
import dev.parley.store.SearchCursor;
import dev.parley.store.SearchQuery;
import dev.parley.store.SearchStore;
import dev.parley.store.Timestamps;
import io.quarkus.arc.InjectableInstance;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Search on PostgreSQL: the generated {@code messages.search} tsvector and its GIN index (V9), the newest
 * {@link SearchStore#RANKED_WINDOW} matches ranked with {@code ts_rank_cd}, older ones following newest first. The
 * tenant and the filters are conditions of the same queries.
 */
@ApplicationScoped
@Typed(PgSearchStore.class)
public class PgSearchStore implements SearchStore {

    private static final Logger LOG = Logger.getLogger(PgSearchStore.class);

    private final InjectableInstance<Pool> pool;

    PgSearchStore(InjectableInstance<Pool> pool) {
        this.pool = pool;
    }

    /** A tsquery expression and the parameters it binds, numbered from the first one it was given. */
    record Rendered(String sql, List<Object> params) {
    }

    /**
     * The query as SQL that builds a tsquery from bound parameters: each word through {@code plainto_tsquery} and
     * each phrase through {@code phraseto_tsquery}, which read their input as plain text (operators in it are just
     * characters), after the same accent folding as the indexed text. A prefix's last token becomes one quoted lexeme
     * marked {@code :*}, quoted in SQL after the folding (which may turn a letter such as {@code ʼ} into an
     * apostrophe), with the words before it as a phrase. Terms are combined with the tsquery functions rather than
     * operators.
     */
    static Rendered tsquery(SearchQuery query, int firstParam) {
        List<Object> params = new ArrayList<>();
        String expr = null;
        for (SearchQuery.Term t : query.included()) {
            String one = term(t, firstParam, params);
            expr = expr == null ? one : "tsquery_and(" + expr + ", " + one + ")";
        }
        for (SearchQuery.Term t : query.excludedTerms()) {
            expr = "tsquery_and(" + expr + ", tsquery_not(" + term(t, firstParam, params) + "))";
        }
        return new Rendered(expr, params);
    }

    /** A tsquery lexeme in quotes, in SQL: a quote inside doubled, a backslash escaped. */
    private static final String QUOTED_PREFIX = "to_tsquery('simple', '''' || replace(replace(%s, '\\', '\\\\'), "
            + "'''', '''''') || ''':*')";

    private static String term(SearchQuery.Term t, int firstParam, List<Object> params) {
        return switch (t.kind()) {
            case WORD -> "plainto_tsquery('simple', " + folded(t.text(), firstParam, params) + ")";
            case PHRASE -> "phraseto_tsquery('simple', " + folded(t.text(), firstParam, params) + ")";
            case PREFIX -> {
                int space = t.text().lastIndexOf(' ');
                String leading = space < 0 ? null : "phraseto_tsquery('simple', "
                        + folded(t.text().substring(0, space), firstParam, params) + ")";
                String last = String.format(QUOTED_PREFIX, folded(t.text().substring(space + 1), firstParam,
                        params));
                yield leading == null ? last : "tsquery_phrase(" + leading + ", " + last + ")";
            }
        };
    }

    private static String folded(String text, int firstParam, List<Object> params) {
        params.add(text);
        return "parley_search_fold($" + (firstParam + params.size() - 1) + "::text)";
    }

    @Override
    public Uni<Page> search(UUID tenantId, SearchQuery query, Filter filter, SearchCursor after, int limit) {
        if (after != null && !after.ranked()) {
            return older(tenantId, query, filter, after.position(), after.messageId(), limit + 1)
                    .map(rows -> Page.of(rows, limit, null));
        }
        return ranked(tenantId, query, filter, after, limit + 1).chain(ranked -> {
            SearchCursor.Floor floor = ranked.floor();
            if (ranked.rows().size() > limit || floor == null) {
                return Uni.createFrom().item(Page.of(ranked.rows(), limit, floor));
            }
            return older(tenantId, query, filter, floor.position(), floor.messageId(),
                    limit + 1 - ranked.rows().size()).map(older -> {
                        List<Hit> rows = new ArrayList<>(ranked.rows());
                        rows.addAll(older);
                        return Page.of(rows, limit, floor);
                    });
        });
    }

    /** The ranked window's hits after the cursor (at most {@code n}), and where the window ends. */
    private record Ranked(List<Hit> rows, SearchCursor.Floor floor) {
    }

    /**
     * The tenant's matches with the filters, as rows of {@code m}, joining {@code c} only when a filter needs it.
     * {@code walk}: the match is written so that no index can answer it ({@link #walksNewest}), leaving the planner
     * the walk through {@code messages_recent}.
     */
    private static String matches(Rendered q, Filter filter, List<Object> params, boolean walk) {
        StringBuilder sql = new StringBuilder("FROM messages m"
                + (filter.archived() != null ? " JOIN conversations c ON c.id = m.conversation_id" : "")
                + " WHERE m.tenant_id = $1 AND " + (walk ? "coalesce(m.search @@ " + q.sql() + ", false)"
                        : "m.search @@ " + q.sql()));
        if (filter.role() != null) {
            params.add(filter.role().id());
            sql.append(" AND m.role = $").append(params.size());
        }
        if (filter.conversationId() != null) {
            params.add(filter.conversationId());
            sql.append(" AND m.conversation_id = $").append(params.size());
        }
        if (filter.from() != null) {
            params.add(at(filter.from()));
            sql.append(" AND m.created_at >= $").append(params.size());
        }
        if (filter.to() != null) {
            params.add(at(filter.to()));
            sql.append(" AND m.created_at < $").append(params.size());
        }
        if (filter.archived() != null) {
            params.add(filter.archived());
            sql.append(" AND c.tenant_id = $1 AND c.archived = $").append(params.size());
        }
        return sql.toString();
    }

    /** The page's rows with their message text and conversation title, read only for the hits of the page. */
    static final String PAGE = PgPoolWithLongStatements.CUSTOM_PLAN
            + "SELECT top.*, m.conversation_id, m.role, m.content, c.title FROM (%s) top "
            + "JOIN messages m ON m.id = top.id JOIN conversations c ON c.id = m.conversation_id AND c.tenant_id = $1 "
            + "ORDER BY %s";

    /**
     * The ranked window: on the first page the newest {@code RANKED_WINDOW} matches, ranked with ts_rank_cd, the page
     * being the best of them after the cursor; the planner chooses between the GIN index (few matches: read them all,
     * keep the newest) and the {@code messages_recent} index (many matches: walk the tenant's messages newest first
     * until the window is full), from the tsvector statistics. After the first page the window is every match from its
     * floor on.
     */
    private Uni<Ranked> ranked(UUID tenantId, SearchQuery query, Filter filter, SearchCursor after, int n) {
        if (after != null) {
            return ranked(tenantId, query, filter, after, n, false);
        }
        return walksNewest(query, filter).chain(walk -> ranked(tenantId, query, filter, null, n, walk));
    }

    private Uni<Ranked> ranked(UUID tenantId, SearchQuery query, Filter filter, SearchCursor after, int n,
            boolean walk) {
        List<Object> params = new ArrayList<>();
        params.add(tenantId);
        Rendered q = tsquery(query, 2);
        params.addAll(q.params());
        SearchCursor.Floor floor = after == null ? null : after.floor();
        StringBuilder window = new StringBuilder("SELECT m.id, m.created_at, m.search ").append(matches(q, filter,
                params, walk));
        if (floor != null) {
            params.add(at(Timestamps.fromMicros(floor.position())));
            params.add(floor.messageId());
            window.append(" AND (m.created_at, m.id) >= ($").append(params.size() - 1).append(", $")
                    .append(params.size()).append(")");
        }
        window.append(" ORDER BY m.created_at DESC, m.id DESC");
        if (after == null) {
            window.append(" LIMIT ").append(RANKED_WINDOW);
        }
        String keyset = "";
        if (after != null) {
            int r = params.size() + 1;
            params.add(after.rank());
            params.add(at(Timestamps.fromMicros(after.position())));
            params.add(after.messageId());
            keyset = " WHERE rank < $" + r + "::float8 OR (rank = $" + r + "::float8 AND (created_at < $" + (r + 1)
                    + " OR (created_at = $" + (r + 1) + " AND id < $" + (r + 2) + ")))";
        }
        params.add(n);
        String top = "SELECT * FROM (SELECT id, created_at, ts_rank_cd(search, " + q.sql() + ")::float8 AS rank, "
                + "last_value(created_at) OVER w AS floor_at, last_value(id) OVER w AS floor_id, count(*) OVER w AS n "
                + "FROM (" + window + ") win WINDOW w AS (ORDER BY created_at DESC, id DESC ROWS BETWEEN UNBOUNDED "
                + "PRECEDING AND UNBOUNDED FOLLOWING)) ranked" + keyset
                + " ORDER BY rank DESC, created_at DESC, id DESC LIMIT $" + params.size();
        String sql = String.format(PAGE, top, "top.rank DESC, top.created_at DESC, top.id DESC");
        return pool.get().preparedQuery(sql).execute(Tuple.from(params)).map(rows -> {
            List<Hit> hits = new ArrayList<>(n);
            SearchCursor.Floor windowFloor = null;
            for (Row row : rows) {
                hits.add(hit(row, row.getDouble("rank"), true));
                if (row.getLong("n") >= RANKED_WINDOW) {
                    windowFloor = new SearchCursor.Floor(micros(row, "floor_at"), row.getUUID("floor_id"));
                }
            }
            return new Ranked(hits, after != null ? floor : windowFloor);
        });
    }

    /** The matches older than the given one, newest first (rank 0). */
    private Uni<List<Hit>> older(UUID tenantId, SearchQuery query, Filter filter, long beforeMicros, UUID beforeId,
            int n) {
        List<Object> params = new ArrayList<>();
        params.add(tenantId);
        Rendered q = tsquery(query, 2);
        params.addAll(q.params());
        String matches = matches(q, filter, params, false);
        params.add(at(Timestamps.fromMicros(beforeMicros)));
        params.add(beforeId);
        params.add(n);
        int b = params.size() - 2;
        String top = "SELECT m.id, m.created_at " + matches + " AND (m.created_at, m.id) < ($" + b + ", $" + (b + 1)
                + ") ORDER BY m.created_at DESC, m.id DESC LIMIT $" + (b + 2);
        String sql = String.format(PAGE, top, "top.created_at DESC, top.id DESC");
        return pool.get().preparedQuery(sql).execute(Tuple.from(params)).map(rows -> {
            List<Hit> hits = new ArrayList<>(n);
            for (Row row : rows) {
                hits.add(hit(row, 0, false));
            }
            return hits;
        });
    }

    // --- the plan of a prefix's first page ---------------------------------------------------------------------

    /** A prefix whose lexemes are in at least this share of the messages fills the ranked window by a walk. */
    static final double DENSE_PREFIX = 0.02;

    /** How long PostgreSQL's statistics of the indexed words are kept before they are read again. */
    private static final long STATS_MAX_AGE_NANOS = TimeUnit.MINUTES.toNanos(1);

    /**
     * The most common lexemes of {@code messages.search} and their shares of the messages, from pg_stats: the lexemes
     * sorted, with the running sum of their shares, so that a prefix's share is two binary searches (V16 keeps 10,000).
     */
    record LexemeStats(String[] sorted, double[] sums, long readAt) {

        static final LexemeStats NONE = of(List.of(), List.of(), Long.MIN_VALUE);

        /**
         * From pg_stats' two arrays: {@code shares} may be longer than {@code lexemes} (PostgreSQL appends the lowest
         * and highest share and the share of empty values), the lexemes past the shares count for nothing.
         */
        static LexemeStats of(List<String> lexemes, List<Double> shares, long readAt) {
            Integer[] order = new Integer[lexemes.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> lexemes.get(a).compareTo(lexemes.get(b)));
            String[] sorted = new String[order.length];
            double[] sums = new double[order.length + 1];
            for (int i = 0; i < order.length; i++) {
                sorted[i] = lexemes.get(order[i]);
                sums[i + 1] = sums[i] + (order[i] < shares.size() ? shares.get(order[i]) : 0);
            }
            return new LexemeStats(sorted, sums, readAt);
        }

        /** The share of the messages holding a lexeme that starts with {@code prefix}, as far as the stats know. */
        double prefixShare(String prefix) {
            // the lexemes starting with the prefix sort from the prefix itself up to the prefix followed by U+FFFF
            return sums[firstAtLeast(prefix + Character.MAX_VALUE)] - sums[firstAtLeast(prefix)];
        }

        private int firstAtLeast(String key) {
            int i = Arrays.binarySearch(sorted, key);
            return i >= 0 ? i : -i - 1;
        }
    }

    private volatile LexemeStats stats = LexemeStats.NONE;

    /**
     * Whether a search's first page should walk the tenant's messages newest first ({@code messages_recent}) until the
     * ranked window is full, instead of letting the planner choose. The planner has no estimate for a prefix (it
     * assumes a few thousand matches) and reads every match through the GIN index, each from its own heap page: at a
     * million messages 0.3-0.45 s for a three-letter prefix in 7-10 % of a tenant's messages, where the walk takes
     * 8-26 ms; for a rare prefix the walk reads the whole tenant (0.66 s) and GIN is right. So the walk is chosen for
     * a query of one prefix without filters when PostgreSQL's own statistics (pg_stats' most common lexemes, read at
     * most once a minute) put the prefix's words in at least {@value #DENSE_PREFIX} of the messages: the window's
     * 200 matches then lie within the newest 10,000 or so, as far as the statistics go. The statistics must reach far
     * enough down for that: a four-letter prefix in 5 % of the messages is typically twenty words in 0.25 % each, below
     * the 1,000 lexemes PostgreSQL keeps at the default statistics target, so V16 raises the column's target to keep
     * 10,000 (at a million messages, alternating runs: 118-130 searches/s at one client instead of 87-96, prefixes
     * p50 8-9 ms instead of 28-34).
     */
    Uni<Boolean> walksNewest(SearchQuery query, Filter filter) {
        List<SearchQuery.Term> included = query.included();
        if (!filter.equals(Filter.NONE) || included.size() != 1 || included.get(0).kind() != SearchQuery.Kind.PREFIX
                || included.get(0).text().indexOf(' ') >= 0) {
            // not waited for, but read all the same: so that a column never analyzed is analyzed at the first search
            lexemeStats().subscribe().with(read -> {
            });
            return Uni.createFrom().item(false);
        }
        String prefix = SearchQuery.fold(included.get(0).text());
        return lexemeStats().map(s -> s.prefixShare(prefix) >= DENSE_PREFIX);
    }

    private final AtomicBoolean analyzed = new AtomicBoolean();

    /**
     * The column has no statistics yet: V9 added it to a table that may already hold every message, and autovacuum
     * analyzes a table again only once a tenth of it has changed. Asked once per process, at its first search, in the
     * background (about a second at a million messages); until it is done prefixes are left to the planner.
     */
    private void analyzeOnce() {
        if (analyzed.compareAndSet(false, true)) {
            pool.get().query("ANALYZE messages (search)").execute().subscribe().with(done -> {
                stats = LexemeStats.NONE;
                LOG.info("Search: analyzed messages.search for the planner's statistics");
            }, e -> LOG.warnf("Search: could not analyze messages.search (%s); prefixes are left to the planner",
                    e.getMessage()));
        }
    }

    /** Reads the statistics again at the next prefix search (tests, after an ANALYZE). */
    void forgetStats() {
        stats = LexemeStats.NONE;
    }

    private Uni<LexemeStats> lexemeStats() {
        LexemeStats current = stats;
        if (current != LexemeStats.NONE && System.nanoTime() - current.readAt() < STATS_MAX_AGE_NANOS) {
            return Uni.createFrom().item(current);
        }
        return pool.get().preparedQuery("SELECT most_common_elems::text::text[] AS lexemes, most_common_elem_freqs "
                + "AS shares FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'messages' "
                + "AND attname = 'search'").execute().map(rows -> {
                    if (rows.size() == 0) {
                        analyzeOnce();
                    }
                    LexemeStats read = LexemeStats.of(List.of(), List.of(), System.nanoTime());
                    for (Row row : rows) {
                        String[] lexemes = row.getArrayOfStrings("lexemes");
                        Float[] shares = row.getArrayOfFloats("shares");
                        if (lexemes != null && shares != null) {
                            List<Double> s = new ArrayList<>(shares.length);
                            for (Float f : shares) {
                                s.add(f.doubleValue());
                            }
                            read = LexemeStats.of(List.of(lexemes), s, read.readAt());
                        }
                    }
                    stats = read;
                    return read;
                }).onFailure().recoverWithItem(LexemeStats.NONE);
    }

    private static long micros(Row row, String column) {
        return Timestamps.toMicros(row.getOffsetDateTime(column).toInstant());
    }

    private static Hit hit(Row row, double rank, boolean ranked) {
        return new Hit(row.getUUID("conversation_id"), row.getString("title"), row.getUUID("id"),
                Message.Role.of(row.getString("role")), row.getOffsetDateTime("created_at").toInstant(),
                row.getString("content"), rank, ranked, micros(row, "created_at"));
    }
}
