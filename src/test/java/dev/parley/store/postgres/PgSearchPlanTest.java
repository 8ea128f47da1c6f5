package dev.parley.store.postgres;

import static dev.parley.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.parley.auth.Tenants;
import dev.parley.store.Conversation;
import dev.parley.store.Message;
import dev.parley.store.SearchCursor;
import dev.parley.store.SearchQuery;
import dev.parley.store.SearchStore;
import dev.parley.store.Timestamps;
import dev.parley.store.TurnStore;
import dev.parley.store.UuidV7;
import dev.parley.testing.PostgresBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * How a search's first page finds its ranked window ({@link PgSearchStore#shape}): a prefix that PostgreSQL's
 * statistics call common walks the tenant's newest messages and must find the same hits, in the same order, as the
 * index would, with paging going on past the ranked window to every match; each fixed shape finds the same page as
 * the planner's choice, and its statement leaves PostgreSQL's generic plan the way it names.
 */
@QuarkusTest
@TestProfile(PostgresBackend.class)
class PgSearchPlanTest {

    private static final int MATCHING = 1_500;

    @Inject
    Tenants tenants;

    @Inject
    TurnStore turns;

    @Inject
    PgSearchStore search;

    @Inject
    Pool pool;

    static SearchQuery prefix(String text) {
        return new SearchQuery(List.of(new SearchQuery.Term(SearchQuery.Kind.PREFIX, text, false)));
    }

    private UUID newTenant(String name) {
        return result(tenants.createTenant(name + "-" + UUID.randomUUID(), Tenants.TENANT_SCOPES)).tenant().id();
    }

    @Test
    void aCommonPrefixWalksTheNewestMessagesAndFindsEveryMatchNewestFirst() {
        UUID tenant = newTenant("plan");
        Instant at = Timestamps.now().minusSeconds(7200);
        UUID conv = UuidV7.next();
        Conversation c = new Conversation(conv, tenant, "Plan", "demo", false, at, at, null);
        List<UUID> matching = new ArrayList<>(); // oldest first
        boolean first = true;
        for (int batch = 0; batch < 20; batch++) {
            List<Message> messages = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                at = at.plusMillis(1);
                int n = batch * 100 + i;
                boolean matches = n % 4 != 3; // 1,500 of 2,000
                Message m = new Message(UuidV7.next(), tenant, conv, Message.Role.USER, matches
                        ? "zqxvutal notes number " + n : "other notes number " + n, 1, 0, null, at);
                messages.add(m);
                if (matches) {
                    matching.add(m.id());
                }
            }
            result(turns.start(new TurnStore.TurnStart(first ? c : null, messages, null)));
            first = false;
        }
        assertThat(matching).hasSize(MATCHING);
        result(pool.query("ANALYZE messages").execute());
        search.forgetStats();
        Double share = result(pool.query("SELECT f FROM pg_stats, unnest(most_common_elems::text::text[], "
                + "most_common_elem_freqs) AS e(w, f) WHERE tablename = 'messages' AND attname = 'search' "
                + "AND w = 'zqxvutal'").execute()).iterator().next().getDouble("f");
        assertThat(share).as("the lexeme's share of the messages, as ANALYZE counted it").isGreaterThan(0.1);

        assertThat(result(search.shape(tenant, prefix("zqxv"), SearchStore.Filter.NONE))).isEqualTo(
                PgSearchStore.Shape.WALK);
        assertThat(result(search.shape(tenant, prefix("zqxv"), new SearchStore.Filter(Message.Role.USER, null, null,
                null, null)))).as("a filter: the planner chooses").isEqualTo(PgSearchStore.Shape.PLANNER);
        assertThat(result(search.shape(tenant, prefix("qqqqnever"), SearchStore.Filter.NONE))).isEqualTo(
                PgSearchStore.Shape.INDEX);

        List<UUID> found = new ArrayList<>();
        List<Boolean> ranked = new ArrayList<>();
        SearchCursor cursor = null;
        do {
            SearchStore.Page page = result(search.search(tenant, prefix("zqxv"), SearchStore.Filter.NONE, cursor,
                    100));
            page.hits().forEach(h -> {
                found.add(h.messageId());
                ranked.add(h.ranked());
            });
            cursor = page.next();
        } while (cursor != null);

        List<UUID> newestFirst = new ArrayList<>(matching);
        java.util.Collections.reverse(newestFirst);
        assertThat(found).hasSize(MATCHING).doesNotHaveDuplicates();
        assertThat(new HashSet<>(found)).isEqualTo(new HashSet<>(matching));
        // equal ranks (the same words in every message): the ranked window is the newest 200, newest first, then
        // the older matches follow newest first
        assertThat(found).isEqualTo(newestFirst);
        assertThat(ranked.subList(0, SearchStore.RANKED_WINDOW)).containsOnly(true);
        assertThat(ranked.subList(SearchStore.RANKED_WINDOW, MATCHING)).containsOnly(false);
    }

    static SearchQuery query(SearchQuery.Term... terms) {
        return new SearchQuery(List.of(terms));
    }

    static SearchQuery.Term term(SearchQuery.Kind kind, String text) {
        return new SearchQuery.Term(kind, text, false);
    }

    @Test
    void everyShapeFindsTheFirstPageThePlannerFindsAndItsStatementKeepsItsWayInAGenericPlan() {
        UUID tenant = newTenant("shape");
        Instant at = Timestamps.now().minusSeconds(7200);
        UUID conv = UuidV7.next();
        Conversation c = new Conversation(conv, tenant, "Shapes", "demo", false, at, at, null);
        java.util.Random r = new java.util.Random(16);
        for (int batch = 0; batch < 10; batch++) {
            List<Message> messages = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                at = at.plusMillis(1);
                List<String> words = new ArrayList<>();
                for (int k = 0, len = 6 + r.nextInt(20); k < len; k++) {
                    words.add("filler" + r.nextInt(40));
                }
                // in about 60, 30, 5 and 1 % of the messages; "alpha brio" next to each other in some of them
                for (String[] w : new String[][] {{"alpha", "60"}, {"brio", "30"}, {"cello", "5"}, {"dunex", "1"}}) {
                    for (int times = 1 + r.nextInt(3); times > 0 && r.nextInt(100) < Integer.parseInt(w[1]);
                            times--) {
                        words.add(r.nextInt(words.size() + 1), w[0]);
                    }
                }
                if (r.nextInt(10) == 0) {
                    words.add(r.nextInt(words.size() + 1), "alpha brio");
                }
                messages.add(new Message(UuidV7.next(), tenant, conv, r.nextBoolean() ? Message.Role.USER
                        : Message.Role.ASSISTANT, String.join(" ", words), 1, 0, null, at));
            }
            result(turns.start(new TurnStore.TurnStart(batch == 0 ? c : null, messages, null)));
        }
        result(pool.query("ANALYZE messages").execute());
        search.forgetStats();

        List<SearchQuery> queries = List.of(
                query(term(SearchQuery.Kind.WORD, "alpha")),
                query(term(SearchQuery.Kind.WORD, "cello")),
                query(term(SearchQuery.Kind.WORD, "dunex")),
                query(term(SearchQuery.Kind.WORD, "alpha"), term(SearchQuery.Kind.WORD, "brio")),
                query(term(SearchQuery.Kind.PHRASE, "alpha brio")),
                query(term(SearchQuery.Kind.PREFIX, "fill")),
                query(term(SearchQuery.Kind.PREFIX, "alpha bri")),
                query(term(SearchQuery.Kind.WORD, "brio"), new SearchQuery.Term(SearchQuery.Kind.WORD, "alpha",
                        true)),
                query(term(SearchQuery.Kind.WORD, "nowhere")));
        for (SearchQuery q : queries) {
            SearchStore.Page planner = result(search.firstPage(tenant, q, 20, PgSearchStore.Shape.PLANNER));
            for (PgSearchStore.Shape shape : List.of(PgSearchStore.Shape.WALK, PgSearchStore.Shape.INDEX)) {
                SearchStore.Page page = result(search.firstPage(tenant, q, 20, shape));
                assertThat(page.hits().stream().map(h -> h.messageId() + " " + h.rank()).toList()).as(q + " " + shape)
                        .isEqualTo(planner.hits().stream().map(h -> h.messageId() + " " + h.rank()).toList());
                assertThat(page.next()).as(q + " " + shape).isEqualTo(planner.next());
            }
            // the same page when the store chooses, and the next page from its cursor goes on as the planner's does
            SearchStore.Page chosen = result(search.search(tenant, q, SearchStore.Filter.NONE, null, 20));
            assertThat(chosen.hits()).as(q.toString()).isEqualTo(planner.hits());
            if (planner.next() != null) {
                assertThat(result(search.search(tenant, q, SearchStore.Filter.NONE, chosen.next(), 20)).hits())
                        .isNotEmpty();
            }
        }
        assertThat(result(search.firstPage(tenant, queries.get(0), 20, PgSearchStore.Shape.PLANNER)).hits())
                .hasSize(20);
        assertThat(result(search.firstPage(tenant, queries.get(8), 20, PgSearchStore.Shape.PLANNER)).hits())
                .isEmpty();

        // Which of the ways left a generic plan takes depends on the table's size (on the bench's million messages the
        // walk is messages_recent in its order, stopping once the window is full, and the index is GIN); on a table
        // this small PostgreSQL may read a tenant's few messages through either index on the tenant and sort them.
        // What the statements guarantee: the walk cannot use GIN, the index cannot stop early in time order.
        assertThat(genericPlan(PgSearchStore.Shape.WALK, tenant)).doesNotContain("messages_search");
        assertThat(genericPlan(PgSearchStore.Shape.INDEX, tenant))
                .contains("Sort Key: m_1.created_at DESC, m_1.id DESC")
                .doesNotContain("Index Scan using messages_recent");
    }

    /**
     * The plan PostgreSQL keeps for the shape's statement once it plans it generically, for any word. The test's table
     * is small enough for a sequential scan to be the cheapest way to read it, so that is ruled out here: the question
     * is which way through the indexes the statement leaves the planner.
     */
    private String genericPlan(PgSearchStore.Shape shape, UUID tenant) {
        PgSearchStore.Statement statement = PgSearchStore.rankedStatement(tenant, query(term(SearchQuery.Kind.WORD,
                "alpha")), SearchStore.Filter.NONE, null, 21, shape);
        assertThat(statement.sql()).doesNotStartWith(PgPoolWithLongStatements.CUSTOM_PLAN);
        return result(pool.withConnection(conn -> conn.query(
                "SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off")
                .execute()
                .chain(() -> conn.query("PREPARE shape_plan AS " + statement.sql()).execute())
                .chain(() -> conn.query("EXPLAIN EXECUTE shape_plan('" + tenant + "', 'alpha', 21)").execute())
                .map(rows -> {
                    StringBuilder plan = new StringBuilder();
                    rows.forEach(row -> plan.append(row.getString(0)).append('\n'));
                    return plan.toString();
                })
                .eventually(() -> conn.query("DEALLOCATE shape_plan").execute()
                        .chain(() -> conn.query("RESET plan_cache_mode; RESET enable_seqscan").execute()))));
    }

    @Test
    void statisticsGrownOldAnswerAtOnceWhileOneReadInTheBackgroundRenewsThem() {
        UUID tenant = newTenant("stale");
        Instant at = Timestamps.now();
        UUID conv = UuidV7.next();
        result(turns.start(new TurnStore.TurnStart(new Conversation(conv, tenant, "Stale", "demo", false, at, at, null),
                List.of(new Message(UuidV7.next(), tenant, conv, Message.Role.USER, "alpha beta", 1, 0, null, at)),
                null)));
        result(pool.query("ANALYZE messages").execute()); // statistics there, so no ANALYZE runs in the background
        search.forgetStats();
        result(search.shape(tenant, query(term(SearchQuery.Kind.WORD, "alpha")), SearchStore.Filter.NONE));
        PgSearchStore.Stats read = search.lastStats();
        assertThat(read).as("the first search waits for the read").isNotSameAs(PgSearchStore.Stats.NONE);
        assertThat(search.lastStats()).isSameAs(read);

        search.ageStats();
        PgSearchStore.Stats aged = search.lastStats();
        int readsBefore = search.reads();
        // five searches at once go on with the old statistics, and only one read starts for all of them
        List<io.smallrye.mutiny.Uni<PgSearchStore.Shape>> searches = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            searches.add(search.shape(tenant, query(term(SearchQuery.Kind.WORD, "alpha")), SearchStore.Filter.NONE));
        }
        assertThat(result(io.smallrye.mutiny.Uni.join().all(searches).andFailFast())).hasSize(5);
        PgSearchStore.Stats renewed = dev.parley.testing.Eventually.value(search::lastStats, s -> s != aged,
                java.time.Duration.ofSeconds(10));
        assertThat(renewed.lexemes().readAt()).isGreaterThan(aged.lexemes().readAt());
        assertThat(search.reads() - readsBefore).as("reads started by the five searches").isEqualTo(1);
        assertThat(renewed.lexemes().sorted()).isEqualTo(read.lexemes().sorted());
    }

    @Test
    void theShapeCostsLessByTheStatistics() {
        PgSearchStore.LexemeStats stats = PgSearchStore.LexemeStats.of(List.of("common", "often", "some", "few",
                "fer", "ferry", "ferries", "quay"), List.of(0.5, 0.3, 0.1, 0.01, 0.004, 0.01, 0.012, 0.003), 0);
        double tenant = 100_000;
        // a word in half the messages: a walk passes about 400 of them, the index reads 50,000 (each costing 6)
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.WORD, "common")), stats, tenant))
                .isEqualTo(PgSearchStore.Shape.WALK);
        // in 1 %: a walk of 20,000 against 1,000 read
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.WORD, "few")), stats, tenant))
                .isEqualTo(PgSearchStore.Shape.INDEX);
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.WORD, "unlisted")), stats, tenant))
                .as("a word below the listed ones: half the least common one's share").isEqualTo(
                        PgSearchStore.Shape.INDEX);
        // two words: 0.5 * 0.3 of the messages, a walk of about 1,300 against 15,000 read
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.WORD, "common"), term(SearchQuery.Kind.WORD,
                "often")), stats, tenant)).isEqualTo(PgSearchStore.Shape.WALK);
        // a phrase of two common words: 25 % hold both, 1/16 of those match: a walk of 12,800 against 25,000 read
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.PHRASE, "common common")), stats, tenant))
                .isEqualTo(PgSearchStore.Shape.WALK);
        // 1 % hold both words: a walk would pass the whole tenant to find its 200 matches
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.PHRASE, "some some")), stats, tenant))
                .isEqualTo(PgSearchStore.Shape.INDEX);
        // an excluded word leaves fewer matches to walk for, but the index reads every message holding the word:
        // 0.3 * 0.5 match, a walk of about 1,300 against 30,000 read; 0.01 * 0.5, a walk of 40,000 against 1,000
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.WORD, "often"), new SearchQuery.Term(
                SearchQuery.Kind.WORD, "common", true)), stats, tenant)).isEqualTo(PgSearchStore.Shape.WALK);
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.WORD, "few"), new SearchQuery.Term(
                SearchQuery.Kind.WORD, "common", true)), stats, tenant)).isEqualTo(PgSearchStore.Shape.INDEX);
        // a word in 10 %: walking 2,000 beats reading 10,000 in a large tenant; in one of 1,000 messages reading
        // its 100 matches beats walking all of them
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.WORD, "some")), stats, tenant))
                .isEqualTo(PgSearchStore.Shape.WALK);
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.WORD, "some")), stats, 1_000))
                .isEqualTo(PgSearchStore.Shape.INDEX);
        // a prefix holds its words' shares summed, each match read costing 20: "fer" 2.6 %, a walk of 7,700 against
        // 2,600 read; "qua" 0.3 %, a walk of 67,000 against 300 read
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.PREFIX, "fer")), stats, tenant))
                .isEqualTo(PgSearchStore.Shape.WALK);
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.PREFIX, "qua")), stats, tenant))
                .isEqualTo(PgSearchStore.Shape.INDEX);
        // no statistics, or no size for the tenant: the planner chooses
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.WORD, "common")),
                PgSearchStore.LexemeStats.NONE, tenant)).isEqualTo(PgSearchStore.Shape.PLANNER);
        assertThat(PgSearchStore.choose(query(term(SearchQuery.Kind.WORD, "common")), stats, -1))
                .isEqualTo(PgSearchStore.Shape.PLANNER);
    }

    @Test
    void aTenantsSizeComesFromItsShareOrAnEqualPartOfWhatTheListedOnesLeave() {
        UUID big = UUID.randomUUID();
        UUID other = UUID.randomUUID();
        PgSearchStore.TenantSizes sizes = PgSearchStore.TenantSizes.of(List.of(big.toString()), List.of(0.6), 5,
                1_000_000);
        assertThat(sizes.rowsOf(big)).isEqualTo(600_000, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(sizes.rowsOf(other)).isEqualTo(100_000, org.assertj.core.api.Assertions.within(1e-6));
        // n_distinct as a negative fraction of the rows
        assertThat(PgSearchStore.TenantSizes.of(List.of(), List.of(), -0.001, 1_000_000).rowsOf(other))
                .isEqualTo(1_000, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(PgSearchStore.TenantSizes.NONE.rowsOf(big)).isNegative();
        assertThat(PgSearchStore.TenantSizes.of(List.of(), List.of(), 3, -1).rowsOf(big)).as("never counted")
                .isNegative();
    }

    @Test
    void theSearchColumnKeepsTenThousandCommonLexemes() {
        // V16: at the default target (100) PostgreSQL keeps 1,000, too few to see a prefix's words at a million messages
        assertThat(result(pool.query("SELECT attstattarget FROM pg_attribute WHERE attrelid = 'messages'::regclass "
                + "AND attname = 'search'").execute()).iterator().next().getInteger("attstattarget")).isEqualTo(1000);
    }

    @Test
    void theStatisticsShareOfAPrefixSumsTheLexemesItBegins() {
        PgSearchStore.LexemeStats stats = PgSearchStore.LexemeStats.of(List.of("ferry", "ferries", "fern", "naxos",
                "fe", "f"), List.of(0.01, 0.02, 0.005, 0.3, 0.04, 0.07, 0.001, 0.3, 0.0), 0);
        assertThat(stats.prefixShare("ferr")).isEqualTo(0.03, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(stats.prefixShare("fer")).isEqualTo(0.035, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(stats.prefixShare("fe")).isEqualTo(0.075, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(stats.prefixShare("f")).isEqualTo(0.145, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(stats.prefixShare("ferry")).isEqualTo(0.01, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(stats.prefixShare("nax")).isEqualTo(0.3);
        assertThat(stats.prefixShare("zzz")).isZero();
        assertThat(stats.prefixShare("a")).isZero();
        assertThat(PgSearchStore.LexemeStats.NONE.prefixShare("fer")).isZero();
        // against the plain sum over every lexeme, for many prefixes of a larger vocabulary
        java.util.Random r = new java.util.Random(4);
        List<String> lexemes = new ArrayList<>();
        List<Double> shares = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            StringBuilder w = new StringBuilder();
            for (int k = 0, n = 1 + r.nextInt(7); k < n; k++) {
                w.append((char) ('a' + r.nextInt(4)));
            }
            if (!lexemes.contains(w.toString())) {
                lexemes.add(w.toString());
                shares.add(r.nextDouble() / 1000);
            }
        }
        PgSearchStore.LexemeStats many = PgSearchStore.LexemeStats.of(lexemes, shares, 0);
        for (String prefix : List.of("a", "ab", "abc", "dd", "cab", "bbbb", "dcba", "abcdabc", "e")) {
            double expected = 0;
            for (int i = 0; i < lexemes.size(); i++) {
                expected += lexemes.get(i).startsWith(prefix) ? shares.get(i) : 0;
            }
            assertThat(many.prefixShare(prefix)).as(prefix).isEqualTo(expected, org.assertj.core.api.Assertions
                    .within(1e-9));
        }
        assertThat(SearchQuery.fold("Café")).isEqualTo("cafe");
    }
}
