package dev.parley.store.postgres;

import static dev.parley.store.postgres.PgTurnStore.at;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import org.jboss.logging.Logger;

import dev.parley.store.Message;
import dev.parley.store.SearchCursor;
import dev.parley.store.SearchQuery;
import dev.parley.store.SearchStore;
import dev.parley.store.SearchText;
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

    /** Searches that may wait for a lane ({@link PgSearchLanes}) before more are refused. */
    static final int MAX_WAITING = 1_000;

    private final InjectableInstance<Pool> pool;

    private final PgSearchLanes lanes;

    PgSearchStore(InjectableInstance<Pool> pool, PostgresSettings settings) {
        this.pool = pool;
        this.lanes = new PgSearchLanes(settings.searchConcurrency(), MAX_WAITING);
    }

    /** A tsquery expression and the parameters it binds, numbered from the first one it was given. */
    record Rendered(String sql, List<Object> params) {
    }

    /** A statement and its parameters, from {@code $1}. */
    record Statement(String sql, List<Object> params) {
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
        return lanes.run(() -> page(tenantId, query, filter, after, limit));
    }

    private Uni<Page> page(UUID tenantId, SearchQuery query, Filter filter, SearchCursor after, int limit) {
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
     * The tenant's matches with the filters, as rows of {@code m}, joining {@code c} only when a filter needs it,
     * written for the {@code shape} ({@link Shape}): a walk's match so that no index can answer it.
     */
    private static String matches(Rendered q, Filter filter, List<Object> params, Shape shape) {
        String tsquery = asUsed(q, shape);
        StringBuilder sql = new StringBuilder("FROM messages m"
                + (filter.archived() != null ? " JOIN conversations c ON c.id = m.conversation_id" : "")
                + " WHERE m.tenant_id = $1 AND " + (shape == Shape.WALK ? "coalesce(m.search @@ " + tsquery
                        + ", false)" : "m.search @@ " + tsquery));
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

    /**
     * The tsquery as the statement uses it: in a statement kept prepared, a subquery, computed once per run (a generic
     * plan would otherwise build it again for every row it checks).
     */
    private static String asUsed(Rendered q, Shape shape) {
        return shape == Shape.PLANNER ? q.sql() : "(SELECT " + q.sql() + ")";
    }

    /** The page's rows with their message text and conversation title, read only for the hits of the page. */
    static final String KEPT_PAGE = "SELECT top.*, m.conversation_id, m.role, m.content, c.title FROM (%s) top "
            + "JOIN messages m ON m.id = top.id JOIN conversations c ON c.id = m.conversation_id AND c.tenant_id = $1 "
            + "ORDER BY %s";

    /** {@link #KEPT_PAGE}, planned for its values at every run (the planner chooses how to find the matches). */
    static final String PAGE = PgPoolWithLongStatements.CUSTOM_PLAN + KEPT_PAGE;

    /**
     * The ranked window: on the first page the newest {@code RANKED_WINDOW} matches, ranked with ts_rank_cd, the page
     * being the best of them after the cursor, found the way {@link #shape} chooses: by the GIN index (few matches:
     * read them all, keep the newest) or by the {@code messages_recent} index (many matches: walk the tenant's
     * messages newest first until the window is full), or as the planner chooses. After the first page the window is
     * every match from its floor on.
     */
    private Uni<Ranked> ranked(UUID tenantId, SearchQuery query, Filter filter, SearchCursor after, int n) {
        if (after != null) {
            return ranked(tenantId, query, filter, after, n, Shape.PLANNER);
        }
        return shape(tenantId, query, filter).chain(shape -> ranked(tenantId, query, filter, null, n, shape));
    }

    /** The first page found in the given shape, whatever {@link #shape} would choose (tests). */
    Uni<Page> firstPage(UUID tenantId, SearchQuery query, int limit, Shape shape) {
        return ranked(tenantId, query, Filter.NONE, null, limit + 1, shape).map(ranked -> Page.of(ranked.rows(),
                limit, ranked.floor()));
    }

    private Uni<Ranked> ranked(UUID tenantId, SearchQuery query, Filter filter, SearchCursor after, int n,
            Shape shape) {
        SearchCursor.Floor floor = after == null ? null : after.floor();
        Statement statement = rankedStatement(tenantId, query, filter, after, n, shape);
        return pool.get().preparedQuery(statement.sql()).execute(Tuple.from(statement.params())).map(rows -> {
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

    /**
     * The ranked window's statement: the page's rows with {@code rank}, and with {@code floor_at}, {@code floor_id}
     * and {@code n} describing the window.
     */
    static Statement rankedStatement(UUID tenantId, SearchQuery query, Filter filter, SearchCursor after, int n,
            Shape shape) {
        List<Object> params = new ArrayList<>();
        params.add(tenantId);
        Rendered q = tsquery(query, 2);
        params.addAll(q.params());
        SearchCursor.Floor floor = after == null ? null : after.floor();
        if (shape != Shape.PLANNER && (after != null || !filter.equals(Filter.NONE))) {
            throw new IllegalArgumentException("only a first page without filters has a fixed shape");
        }
        StringBuilder window = new StringBuilder("SELECT m.id, m.created_at, m.search ").append(matches(q, filter,
                params, shape));
        if (shape == Shape.INDEX) {
            // fenced off from the ORDER BY and LIMIT, a walk through messages_recent has nothing to gain: GIN it is
            window.insert(0, "SELECT * FROM (").append(" OFFSET 0) m");
        }
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
        String top = "SELECT * FROM (SELECT id, created_at, ts_rank_cd(search, " + asUsed(q, shape)
                + ")::float8 AS rank, "
                + "last_value(created_at) OVER w AS floor_at, last_value(id) OVER w AS floor_id, count(*) OVER w AS n "
                + "FROM (" + window + ") win WINDOW w AS (ORDER BY created_at DESC, id DESC ROWS BETWEEN UNBOUNDED "
                + "PRECEDING AND UNBOUNDED FOLLOWING)) ranked" + keyset
                + " ORDER BY rank DESC, created_at DESC, id DESC LIMIT $" + params.size();
        return new Statement(String.format(shape == Shape.PLANNER ? PAGE : KEPT_PAGE, top,
                "top.rank DESC, top.created_at DESC, top.id DESC"), params);
    }

    /** The matches older than the given one, newest first (rank 0). */
    private Uni<List<Hit>> older(UUID tenantId, SearchQuery query, Filter filter, long beforeMicros, UUID beforeId,
            int n) {
        List<Object> params = new ArrayList<>();
        params.add(tenantId);
        Rendered q = tsquery(query, 2);
        params.addAll(q.params());
        String matches = matches(q, filter, params, Shape.PLANNER);
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

    // --- how a first page finds its ranked window --------------------------------------------------------------

    /**
     * How a first page finds its ranked window. The planner can choose, from the column's statistics, if the statement
     * is planned for its values at every run; at a million messages that planning took about as long as running a
     * search for a word (hot, one backend: 0.6-1.0 ms of planning against 1.2-2.2 ms of execution), a third of it
     * reading the 10,000 lexemes V16 keeps. So for a first page without filters Parley chooses, from the same
     * statistics ({@link #choose}), and sends a statement whose form leaves the planner only that way: kept prepared
     * on the connection, parsed and planned once.
     */
    enum Shape {
        /** Planned for its values at every run: pages after the first, filters, or no statistics yet. */
        PLANNER,
        /** The tenant's messages newest first through {@code messages_recent}, until the window is full. */
        WALK,
        /** Every match through the GIN index, the newest kept. */
        INDEX
    }

    /**
     * What reading one match through GIN costs, in messages a walk passes for the same time. Measured at a million
     * messages (hot, huge pages, one tenant of 100,000): the word {@code siar}, 4,313 matches, 12-15 ms through GIN
     * (the matches' pages read in turn and sorted by time) against 2.5 ms walking 5,192 messages; the phrase
     * {@code ar ot}, 19,854 messages holding both words, 69 ms against 12.7 ms walking 26,256. About 3 µs against 0.5.
     */
    static final double INDEX_ROW_COST = 6;

    /**
     * The same for a prefix, whose words GIN reads and merges one by one: five four-letter prefixes of 1,528 to 2,649
     * matches took 12-23 ms through GIN (about 10 µs a match) against 3-7 ms walking 6,500-14,000 messages.
     */
    static final double PREFIX_ROW_COST = 20;

    /**
     * How many times fewer messages a phrase is guessed to match than hold all its words. The statistics know only
     * words; in the bench's text (words drawn independently) a phrase of two words matches one in 20 to 30 of the
     * messages holding both ({@code ar ot}: 803 of 19,854), in real text often more.
     */
    static final double PHRASE_SPREAD = 16;

    /** How long PostgreSQL's statistics of the indexed words are kept before they are read again. */
    private static final long STATS_MAX_AGE_NANOS = TimeUnit.MINUTES.toNanos(1);

    /**
     * The most common lexemes of {@code messages.search} and their shares of the messages, from pg_stats: the lexemes
     * sorted, with the running sum of their shares, so that a prefix's share is two binary searches (V16 keeps 10,000).
     */
    record LexemeStats(String[] sorted, double[] sums, double least, long readAt) {

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
            double least = 1;
            for (int i = 0; i < order.length; i++) {
                sorted[i] = lexemes.get(order[i]);
                double share = order[i] < shares.size() ? shares.get(order[i]) : 0;
                sums[i + 1] = sums[i] + share;
                least = Math.min(least, share);
            }
            return new LexemeStats(sorted, sums, least, readAt);
        }

        /** The share of the messages holding a lexeme that starts with {@code prefix}, as far as the stats know. */
        double prefixShare(String prefix) {
            // the lexemes starting with the prefix sort from the prefix itself up to the prefix followed by U+FFFF
            return sums[firstAtLeast(prefix + Character.MAX_VALUE)] - sums[firstAtLeast(prefix)];
        }

        /**
         * The share of the messages holding {@code lexeme}: its own if it is among the common ones, else half the
         * least common one's, as PostgreSQL's planner guesses it.
         */
        double share(String lexeme) {
            int i = Arrays.binarySearch(sorted, lexeme);
            return i >= 0 ? sums[i + 1] - sums[i] : least / 2;
        }

        private int firstAtLeast(String key) {
            int i = Arrays.binarySearch(sorted, key);
            return i >= 0 ? i : -i - 1;
        }
    }

    /**
     * How many messages each tenant has, from pg_stats (the tenants common enough to be listed, with their shares, and
     * how many distinct ones there are) and the table's row count in pg_class; a tenant not listed gets an equal part
     * of what the listed ones leave, as PostgreSQL's planner counts it. Negative rows: not known.
     */
    record TenantSizes(Map<UUID, Double> shares, double rows, double otherRows) {

        static final TenantSizes NONE = new TenantSizes(Map.of(), -1, -1);

        static TenantSizes of(List<String> tenants, List<Double> shares, double nDistinct, double rows) {
            Map<UUID, Double> listed = new HashMap<>();
            double listedShare = 0;
            for (int i = 0; i < tenants.size() && i < shares.size(); i++) {
                listed.put(UUID.fromString(tenants.get(i)), shares.get(i));
                listedShare += shares.get(i);
            }
            double distinct = nDistinct >= 0 ? nDistinct : -nDistinct * rows;
            double others = Math.max(1, distinct - listed.size());
            return new TenantSizes(Map.copyOf(listed), rows, Math.max(0, 1 - listedShare) * rows / others);
        }

        double rowsOf(UUID tenant) {
            if (rows <= 0) {
                return -1;
            }
            Double share = shares.get(tenant);
            return share != null ? share * rows : otherRows;
        }
    }

    /** What {@link #choose} reads: the lexemes' and the tenants' statistics, read together. */
    record Stats(LexemeStats lexemes, TenantSizes tenants) {

        static final Stats NONE = new Stats(LexemeStats.NONE, TenantSizes.NONE);
    }

    private volatile Stats stats = Stats.NONE;

    /**
     * How the first page of {@code query} finds its ranked window in this tenant ({@link Shape}): with filters, or
     * before the statistics are there, as the planner chooses; otherwise as {@link #choose} does.
     */
    Uni<Shape> shape(UUID tenantId, SearchQuery query, Filter filter) {
        if (!filter.equals(Filter.NONE)) {
            // not waited for, but read all the same: so that a column never analyzed is analyzed at the first search
            stats().subscribe().with(read -> {
            });
            return Uni.createFrom().item(Shape.PLANNER);
        }
        return stats().map(s -> choose(query, s.lexemes(), s.tenants().rowsOf(tenantId)));
    }

    /**
     * Walk the tenant's newest messages or read every match through GIN, whichever costs less by the statistics, like
     * the planner's own estimate but with the costs measured: a walk passes about {@code RANKED_WINDOW / share}
     * messages (at most the tenant's), the index reads every message holding the query's words, each for
     * {@link #INDEX_ROW_COST} (a prefix {@link #PREFIX_ROW_COST}) messages walked. Shares of words multiply as if
     * independent (as the planner assumes); a phrase matches {@link #PHRASE_SPREAD} times fewer messages than hold its
     * words; a prefix holds the words it begins, summed, which is why V16 keeps 10,000 lexemes (a four-letter prefix in
     * 5 % of the messages is typically twenty words in 0.25 % each, below the 1,000 PostgreSQL keeps by default).
     * For a tenant of 100,000 messages the walk wins from a word in about 1.8 % of them, a prefix in about 1 %.
     *
     * @param tenantRows the tenant's messages, negative if not known
     */
    static Shape choose(SearchQuery query, LexemeStats lexemes, double tenantRows) {
        if (lexemes.sorted().length == 0 || tenantRows <= 0) {
            return Shape.PLANNER;
        }
        double matches = 1;
        double holding = 1;
        double rowCost = INDEX_ROW_COST;
        for (SearchQuery.Term t : query.included()) {
            Estimate e = estimate(t, lexemes);
            matches *= e.matching();
            holding *= e.holding();
            if (t.kind() == SearchQuery.Kind.PREFIX) {
                rowCost = PREFIX_ROW_COST;
            }
        }
        for (SearchQuery.Term t : query.excludedTerms()) {
            matches *= 1 - Math.min(1, estimate(t, lexemes).matching());
        }
        double walked = Math.min(tenantRows, RANKED_WINDOW / Math.max(matches, Double.MIN_NORMAL));
        return walked < holding * tenantRows * rowCost ? Shape.WALK : Shape.INDEX;
    }

    /** A term's shares of the messages: those matching it, and those holding its words. */
    private record Estimate(double matching, double holding) {
    }

    private static Estimate estimate(SearchQuery.Term term, LexemeStats lexemes) {
        List<String> words = SearchText.needle(term);
        if (words.isEmpty()) {
            return new Estimate(1, 1);
        }
        if (term.kind() == SearchQuery.Kind.WORD) {
            // the parts the tokenizer splits one word into come together: the word is as common as its rarest part
            double share = 1;
            for (String w : words) {
                share = Math.min(share, lexemes.share(w));
            }
            return new Estimate(share, share);
        }
        int last = words.size() - 1;
        double holding = term.kind() == SearchQuery.Kind.PREFIX ? Math.min(1, lexemes.prefixShare(words.get(last)))
                : lexemes.share(words.get(last));
        for (int i = 0; i < last; i++) {
            holding *= lexemes.share(words.get(i));
        }
        return new Estimate(words.size() > 1 ? holding / PHRASE_SPREAD : holding, holding);
    }

    private final AtomicBoolean analyzed = new AtomicBoolean();

    /**
     * The columns have no statistics yet: V9 added the search column to a table that may already hold every message,
     * and autovacuum analyzes a table again only once a tenth of it has changed. Asked once per process, at its first
     * search, in the background (about a second at a million messages); until it is done the planner chooses.
     */
    private void analyzeOnce() {
        if (analyzed.compareAndSet(false, true)) {
            pool.get().query("ANALYZE messages (search, tenant_id)").execute().subscribe().with(done -> {
                stats = Stats.NONE;
                LOG.info("Search: analyzed messages.search for the planner's statistics");
            }, e -> LOG.warnf("Search: could not analyze messages.search (%s); the planner chooses how to search",
                    e.getMessage()));
        }
    }

    /** Reads the statistics again at the next search (tests, after an ANALYZE). */
    void forgetStats() {
        stats = Stats.NONE;
    }

    /** Makes the statistics read look older than {@link #STATS_MAX_AGE_NANOS} (tests). */
    void ageStats() {
        Stats s = stats;
        LexemeStats l = s.lexemes();
        stats = new Stats(new LexemeStats(l.sorted(), l.sums(), l.least(), l.readAt() - 2 * STATS_MAX_AGE_NANOS),
                s.tenants());
    }

    /** The statistics as last read, {@link Stats#NONE} before the first read (tests). */
    Stats lastStats() {
        return stats;
    }

    /** The statistics being read, shared by every search that waits for them; null when none is being read. */
    private final AtomicReference<Uni<Stats>> reading = new AtomicReference<>();

    /**
     * The statistics: once read, a search never waits for them again. When they are older than
     * {@link #STATS_MAX_AGE_NANOS} the search goes on with them and one read starts in the background; only the first
     * searches (or those after {@link #forgetStats}) wait, all for the same read.
     */
    private Uni<Stats> stats() {
        Stats current = stats;
        if (current == Stats.NONE) {
            return read();
        }
        if (System.nanoTime() - current.lexemes().readAt() >= STATS_MAX_AGE_NANOS) {
            read().subscribe().with(read -> {
            });
        }
        return Uni.createFrom().item(current);
    }

    private Uni<Stats> read() {
        Uni<Stats> inFlight = reading.get();
        if (inFlight != null) {
            return inFlight;
        }
        Uni<Stats> read = readNow().onTermination().invoke(() -> reading.set(null)).memoize().indefinitely();
        return reading.compareAndSet(null, read) ? read : read();
    }

    private final AtomicInteger reads = new AtomicInteger();

    /** How many times the statistics were read (tests). */
    int reads() {
        return reads.get();
    }

    private Uni<Stats> readNow() {
        reads.incrementAndGet();
        return pool.get().preparedQuery("SELECT s.attname::text AS attname, s.most_common_elems::text::text[] AS "
                + "lexemes, s.most_common_elem_freqs AS shares, s.most_common_vals::text::text[] AS tenants, "
                + "s.most_common_freqs AS tenant_shares, s.n_distinct::float8 AS n_distinct, "
                + "c.reltuples::float8 AS reltuples FROM pg_stats s "
                + "JOIN pg_class c ON c.oid = to_regclass(quote_ident(current_schema()) || '.messages') "
                + "WHERE s.schemaname = current_schema() AND s.tablename = 'messages' "
                + "AND s.attname IN ('search', 'tenant_id')").execute().map(rows -> {
                    long readAt = System.nanoTime();
                    LexemeStats lexemes = LexemeStats.of(List.of(), List.of(), readAt);
                    TenantSizes tenants = TenantSizes.NONE;
                    boolean searchAnalyzed = false;
                    for (Row row : rows) {
                        if (row.getString("attname").equals("search")) {
                            searchAnalyzed = true;
                            String[] l = row.getArrayOfStrings("lexemes");
                            Float[] f = row.getArrayOfFloats("shares");
                            if (l != null && f != null) {
                                lexemes = LexemeStats.of(List.of(l), doubles(f), readAt);
                            }
                        } else {
                            String[] t = row.getArrayOfStrings("tenants");
                            Float[] f = row.getArrayOfFloats("tenant_shares");
                            tenants = TenantSizes.of(t == null ? List.of() : List.of(t), f == null ? List.of()
                                    : doubles(f), row.getDouble("n_distinct"), row.getDouble("reltuples"));
                        }
                    }
                    if (!searchAnalyzed) {
                        analyzeOnce();
                    }
                    Stats read = new Stats(lexemes, tenants);
                    stats = read;
                    return read;
                }).onFailure().recoverWithItem(e -> {
                    // the planner chooses until the next read, a minute on, rather than every search asking again
                    LOG.warnf("Search: could not read PostgreSQL's statistics (%s); the planner chooses how to search",
                            e.getMessage());
                    Stats none = new Stats(LexemeStats.of(List.of(), List.of(), System.nanoTime()), TenantSizes.NONE);
                    stats = none;
                    return none;
                });
    }

    private static List<Double> doubles(Float[] floats) {
        List<Double> d = new ArrayList<>(floats.length);
        for (Float f : floats) {
            d.add(f.doubleValue());
        }
        return d;
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
