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
 * The first page of a prefix that PostgreSQL's statistics call common walks the tenant's newest messages
 * ({@link PgSearchStore#walksNewest}): it must find the same hits, in the same order, as the index would, and paging
 * must go on past the ranked window to every match.
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

    @Test
    void aCommonPrefixWalksTheNewestMessagesAndFindsEveryMatchNewestFirst() {
        UUID tenant = result(tenants.createTenant("plan-" + UUID.randomUUID(), Tenants.TENANT_SCOPES)).tenant().id();
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
        assertThat(share).as("the lexeme's share of the messages, as ANALYZE counted it").isGreaterThanOrEqualTo(
                PgSearchStore.DENSE_PREFIX);

        assertThat(result(search.walksNewest(prefix("zqxv"), SearchStore.Filter.NONE))).isTrue();
        assertThat(result(search.walksNewest(prefix("zqxv"), new SearchStore.Filter(Message.Role.USER, null, null,
                null, null)))).as("a filter: the planner chooses").isFalse();
        assertThat(result(search.walksNewest(prefix("qqqqnever"), SearchStore.Filter.NONE))).isFalse();

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
