package dev.parley.search;

import static dev.parley.testing.Await.result;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.parley.auth.Tenants;
import dev.parley.store.Cursor;
import dev.parley.store.Message;
import dev.parley.store.SearchCursor;
import dev.parley.store.Timestamps;
import dev.parley.store.TurnStore;
import dev.parley.store.UuidV7;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/**
 * {@code GET /api/search} through the real HTTP stack, written once and run on SQLite (FTS5) and PostgreSQL
 * (tsvector + GIN): accents, CJK, phrases, prefixes, exclusions, hostile syntax, deleted and archived conversations,
 * ranking and paging, filters, and tenants that never see each other's messages.
 */
public abstract class SearchContract {

    @Inject
    Tenants tenants;

    @Inject
    TurnStore turns;

    String key;
    UUID tenantId;
    /** Each message gets its own time, one millisecond after the last, so "newer first" is well defined. */
    Instant clock = Timestamps.now().minusSeconds(3600);

    @BeforeEach
    void createTenant() {
        Tenants.NewTenant t = result(tenants.createTenant("search-" + UUID.randomUUID(), Tenants.TENANT_SCOPES));
        key = t.plaintextKey();
        tenantId = t.tenant().id();
    }

    RequestSpecification as(String apiKey) {
        return given().header("Authorization", "Bearer " + apiKey).contentType(ContentType.JSON);
    }

    String conversation(String apiKey, String title) {
        return as(apiKey).body("{\"title\":\"" + title + "\"}").post("/api/conversations")
                .then().statusCode(201).extract().path("id");
    }

    /** Stores one message through the turn's own write, as a chat turn would. */
    UUID message(UUID tenant, String conversationId, Message.Role role, String content) {
        clock = clock.plusMillis(1);
        UUID id = UuidV7.next();
        result(turns.start(new TurnStore.TurnStart(null, List.of(new Message(id, tenant,
                UUID.fromString(conversationId), role, content, 1, 1, role == Message.Role.ASSISTANT ? "stop" : null,
                clock)), null)));
        return id;
    }

    UUID message(String conversationId, String content) {
        return message(tenantId, conversationId, Message.Role.USER, content);
    }

    Response get(String apiKey, Map<String, ?> params) {
        return as(apiKey).queryParams(params).get("/api/search");
    }

    JsonPath search(String q) {
        return search(key, Map.of("q", q));
    }

    JsonPath search(String apiKey, Map<String, ?> params) {
        return get(apiKey, params).then().statusCode(200).contentType(ContentType.JSON)
                .extract().jsonPath();
    }

    List<String> ids(JsonPath page) {
        return page.getList("items.messageId");
    }

    List<String> found(String q) {
        return ids(search(q));
    }

    static String s(UUID id) {
        return id.toString();
    }

    void badRequest(Map<String, ?> params) {
        get(key, params).then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("https://parley.dev/problems/invalid-request"))
                .body("detail", notNullValue());
    }

    // --- what matches -----------------------------------------------------------------------------------------------

    @Test
    void aHitCarriesItsConversationMessageRoleTimeSnippetAndRank() {
        String conv = conversation(key, "Travel");
        UUID id = message(tenantId, conv, Message.Role.ASSISTANT, "The ferry to Naxos leaves at dawn.");
        JsonPath page = search("naxos");
        assertThat(ids(page)).containsExactly(s(id));
        assertThat(page.getString("items[0].conversationId")).isEqualTo(conv);
        assertThat(page.getString("items[0].conversationTitle")).isEqualTo("Travel");
        assertThat(page.getString("items[0].role")).isEqualTo("assistant");
        assertThat(Instant.parse(page.getString("items[0].createdAt"))).isEqualTo(clock);
        assertThat(page.getString("items[0].snippet")).isEqualTo("The ferry to <mark>Naxos</mark> leaves at dawn.");
        assertThat(page.getDouble("items[0].rank")).isPositive();
        assertThat(page.getString("nextCursor")).isNull();
    }

    @Test
    void everyWordMustMatchInAnyOrderAndCase() {
        String conv = conversation(key, "Words");
        UUID both = message(conv, "Green tea with lemon");
        message(conv, "Green apples only");
        assertThat(found("LEMON green")).containsExactly(s(both));
        assertThat(found("green")).hasSize(2);
        assertThat(found("green mango")).isEmpty();
    }

    @Test
    void accentsFoldBothWays() {
        String conv = conversation(key, "Accents");
        UUID accented = message(conv, "Un café crème à la façade de l'hôtel");
        UUID plain = message(conv, "a cafe near the hotel, naive as ever");
        UUID naive = message(conv, "Sie ist naïve und Über-glücklich");
        assertThat(found("cafe")).containsExactlyInAnyOrder(s(accented), s(plain));
        assertThat(found("café")).containsExactlyInAnyOrder(s(accented), s(plain));
        assertThat(found("CAFÉ creme")).containsExactly(s(accented));
        assertThat(found("hotel")).containsExactlyInAnyOrder(s(accented), s(plain));
        assertThat(found("naive")).containsExactlyInAnyOrder(s(plain), s(naive));
        assertThat(found("uber")).containsExactly(s(naive));
        assertThat(search("cafe creme").getString("items[0].snippet")).isEqualTo("Un <mark>café</mark> "
                + "<mark>crème</mark> à la façade de l&#39;hôtel");
    }

    /**
     * Both backends index a run of CJK characters without spaces or punctuation as one token (FTS5's unicode61, and
     * PostgreSQL's default parser): such a run is found whole, or by its beginning with a prefix, not by a word in
     * its middle. Text with spaces between words (Korean, or mixed text) is found word by word.
     */
    @Test
    void cjkRunsMatchWholeOrByTheirBeginning() {
        String conv = conversation(key, "CJK");
        UUID tokyo = message(conv, "明日 東京タワーに行きます");
        UUID chinese = message(conv, "你好 世界");
        UUID korean = message(conv, "안녕하세요 세계 여러분");
        assertThat(found("東京タワーに行きます")).containsExactly(s(tokyo));
        assertThat(found("東京*")).containsExactly(s(tokyo));
        assertThat(found("明日")).containsExactly(s(tokyo));
        assertThat(found("東京")).isEmpty();
        assertThat(found("世界")).containsExactly(s(chinese));
        assertThat(found("세계")).containsExactly(s(korean));
        assertThat(found("\"你好 世界\"")).containsExactly(s(chinese));
        assertThat(search("東京*").getString("items[0].snippet")).isEqualTo("明日 <mark>東京タワーに行きます</mark>");
    }

    @Test
    void aPhraseMatchesItsWordsNextToEachOtherInOrder() {
        String conv = conversation(key, "Phrases");
        UUID fox = message(conv, "the quick brown fox jumps");
        message(conv, "a brown and quick fox");
        assertThat(found("\"quick brown fox\"")).containsExactly(s(fox));
        assertThat(found("\"fox brown\"")).isEmpty();
        assertThat(found("quick fox")).hasSize(2);
        assertThat(search("\"brown fox\"").getString("items[0].snippet"))
                .isEqualTo("the quick <mark>brown</mark> <mark>fox</mark> jumps");
    }

    @Test
    void aPrefixMatchesEveryWordThatStartsWithIt() {
        String conv = conversation(key, "Prefixes");
        UUID translation = message(conv, "Translation memory");
        UUID translator = message(conv, "ask the translator");
        message(conv, "transport only");
        assertThat(found("transl*")).containsExactlyInAnyOrder(s(translation), s(translator));
        assertThat(found("Tränsl*")).containsExactlyInAnyOrder(s(translation), s(translator));
        assertThat(found("\"translation mem\"*")).containsExactly(s(translation));
        assertThat(search("translat*").getString("items[0].snippet")).contains("<mark>");
    }

    @Test
    void excludedWordsAndPhrasesRemoveHits() {
        String conv = conversation(key, "Exclusion");
        UUID pie = message(conv, "apple pie recipe");
        UUID tart = message(conv, "apple tart recipe");
        UUID crumble = message(conv, "apple crumble, not a pie at all");
        assertThat(found("apple -pie")).containsExactly(s(tart));
        assertThat(found("recipe -\"apple pie\"")).containsExactly(s(tart));
        assertThat(found("apple -tar*")).containsExactlyInAnyOrder(s(pie), s(crumble));
        assertThat(found("apple -pie -tart")).isEmpty();
        badRequest(Map.of("q", "-apple"));
        badRequest(Map.of("q", "-apple -\"pie\""));
    }

    // --- hostile input ----------------------------------------------------------------------------------------------

    @Test
    void queryOperatorsOfEitherDatabaseAreMatchedAsTextOrRefusedNeverAFailure() {
        String conv = conversation(key, "Hostile");
        UUID near = message(conv, "please use NEAR( with care");
        UUID quote = message(conv, "an unbalanced quote here");
        UUID ops = message(conv, "cats & dogs | birds ! fish");
        List<String> hostile = List.of("\"", "\"\"", "\"\"\"", "NEAR(", "NEAR(a b)", "near(\"a\" \"b\", 3)", ":*",
                "a:*", "&|!", "a & b", "a | b", "!a", "!!a", "a <-> b", "a <2> b", "(", ")", "((a)", "a)", "*",
                "**", "-", "--a", "- a", "-\"", "^a", "+a", "a + b", "{a b}", "content:a", "messages_fts:a",
                "rank:1", "a OR b", "a AND NOT b", "NOT", "AND", "OR", "'", "''", "a'b", "\\", "\\'", "a\\:*",
                "'a':*", "'a' & 'b'", "a:*B", "$1", "?", "%", "_", "a; DROP TABLE messages; --",
                "') OR 1=1 --", "\" OR \"\"=\"", "\u00e9\u0301", "\u200b", "\ufeffa", "😀", "a😀b", "\t\n", "a\u3000b",
                "\"unbalanced quote", "NEAR( care", "cats & dogs", "fish !", "birds |",
                // letters that PostgreSQL's unaccent turns into quotes, colons and fractions, in a prefix
                "aʼb*", "ŉ*", "ʼ*", "ːa*", "x¼*", "ʺ*", "\"aʼb cʼd\"*", "-aʼb* a");
        for (String q : hostile) {
            int status = get(key, Map.of("q", q)).then().extract().statusCode();
            assertThat(status).as("q=%s", q).isIn(200, 400);
        }
        assertThat(found("NEAR(")).containsExactly(s(near));
        assertThat(found("\"unbalanced quote")).containsExactly(s(quote));
        assertThat(found("cats & dogs")).containsExactly(s(ops));
        assertThat(found("birds |")).containsExactly(s(ops));
        assertThat(found("fish !")).containsExactly(s(ops));
    }

    @Test
    void withoutAQueryNothingIsAskedForAndNothingFound() {
        String conv = conversation(key, "Nothing");
        message(conv, "something to find");
        JsonPath page = search(key, Map.of());
        assertThat(ids(page)).isEmpty();
        assertThat(page.getString("nextCursor")).isNull();
        badRequest(Map.of("role", "system"));
    }

    @Test
    void unusableQueriesAreProblems() {
        badRequest(Map.of("q", "   "));
        badRequest(Map.of("q", ":* & | !"));
        badRequest(Map.of("q", "a\u0000b"));
        badRequest(Map.of("q", "x".repeat(SearchQueryParser.MAX_LENGTH + 1)));
        badRequest(Map.of("q", "a ".repeat(SearchQueryParser.MAX_TERMS + 1)));
    }

    @Test
    void badParametersAreProblems() {
        String conv = conversation(key, "Params");
        message(conv, "parameters");
        badRequest(Map.of("q", "parameters", "limit", "0"));
        badRequest(Map.of("q", "parameters", "limit", "101"));
        badRequest(Map.of("q", "parameters", "limit", "ten"));
        badRequest(Map.of("q", "parameters", "role", "system"));
        badRequest(Map.of("q", "parameters", "conversationId", "not-an-id"));
        badRequest(Map.of("q", "parameters", "from", "yesterday"));
        badRequest(Map.of("q", "parameters", "to", "2026-13-01"));
        badRequest(Map.of("q", "parameters", "from", "2026-12-02", "to", "2026-12-01"));
        badRequest(Map.of("q", "parameters", "archived", "maybe"));
    }

    @Test
    void forgedCursorsAreProblems() {
        String conv = conversation(key, "Cursors");
        message(conv, "cursor");
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        byte[] nan = issued(true, Double.NaN, 1);
        byte[] farFuture = issued(false, 0, Long.MAX_VALUE);
        byte[] unknownFlags = issued(true, 1, 1);
        unknownFlags[1] = 8;
        for (String cursor : List.of("x", "!!!", "%00", b64.encodeToString("hello".getBytes(StandardCharsets.UTF_8)),
                b64.encodeToString(new byte[58]), b64.encodeToString(new byte[57]), b64.encodeToString(nan),
                b64.encodeToString(farFuture), b64.encodeToString(unknownFlags),
                Cursor.of(Timestamps.now(), UUID.randomUUID()).encode())) {
            badRequest(Map.of("q", "cursor", "cursor", cursor));
        }
    }

    /** The bytes of a cursor as this service issues them, with the given fields. */
    static byte[] issued(boolean ranked, double rank, long position) {
        byte[] raw = Base64.getUrlDecoder().decode(new SearchCursor(ranked, 1, 1, UUID.randomUUID(), null).encode());
        java.nio.ByteBuffer.wrap(raw, 2, 16).putDouble(rank).putLong(position);
        return raw;
    }

    // --- lifecycle --------------------------------------------------------------------------------------------------

    @Test
    void deletingAConversationRemovesItsHits() {
        String gone = conversation(key, "Gone");
        message(gone, "ephemeral words");
        String kept = conversation(key, "Kept");
        UUID stays = message(kept, "ephemeral but kept");
        assertThat(found("ephemeral")).hasSize(2);
        as(key).delete("/api/conversations/" + gone).then().statusCode(204);
        assertThat(found("ephemeral")).containsExactly(s(stays));
        assertThat(found("words")).isEmpty();
    }

    @Test
    void archivedConversationsAreSearchedUnlessExcluded() {
        String archived = conversation(key, "Old");
        UUID old = message(archived, "archived lighthouse");
        String active = conversation(key, "New");
        UUID current = message(active, "active lighthouse");
        as(key).body("{\"archived\":true}").patch("/api/conversations/" + archived).then().statusCode(200);
        assertThat(found("lighthouse")).containsExactlyInAnyOrder(s(old), s(current));
        assertThat(ids(search(key, Map.of("q", "lighthouse", "archived", "false")))).containsExactly(s(current));
        assertThat(ids(search(key, Map.of("q", "lighthouse", "archived", "true")))).containsExactly(s(old));
    }

    @Test
    void filtersNarrowByRoleConversationAndTime() {
        String one = conversation(key, "One");
        String two = conversation(key, "Two");
        UUID asked = message(tenantId, one, Message.Role.USER, "filter question");
        Instant afterFirst = clock.plusNanos(500_000);
        UUID answered = message(tenantId, one, Message.Role.ASSISTANT, "filter answer");
        UUID elsewhere = message(tenantId, two, Message.Role.USER, "filter elsewhere");
        assertThat(ids(search(key, Map.of("q", "filter", "role", "user")))).containsExactlyInAnyOrder(s(asked),
                s(elsewhere));
        assertThat(ids(search(key, Map.of("q", "filter", "role", "assistant")))).containsExactly(s(answered));
        assertThat(ids(search(key, Map.of("q", "filter", "conversationId", one))))
                .containsExactlyInAnyOrder(s(asked), s(answered));
        assertThat(ids(search(key, Map.of("q", "filter", "from", afterFirst.toString()))))
                .containsExactlyInAnyOrder(s(answered), s(elsewhere));
        assertThat(ids(search(key, Map.of("q", "filter", "to", afterFirst.toString())))).containsExactly(s(asked));
        assertThat(ids(search(key, Map.of("q", "filter", "from", "2000-01-01", "to", "2000-01-01")))).isEmpty();
        assertThat(ids(search(key, Map.of("q", "filter", "conversationId", UUID.randomUUID().toString()))))
                .isEmpty();
    }

    // --- ranking and paging -----------------------------------------------------------------------------------------

    @Test
    void betterMatchesRankFirstAndEqualRanksNewestFirst() {
        String conv = conversation(key, "Ranking");
        UUID once = message(conv, "orbit and other words that dilute the single mention of the term here");
        UUID thrice = message(conv, "orbit orbit orbit");
        UUID sameA = message(conv, "planet mass");
        UUID sameB = message(conv, "planet mass");
        assertThat(found("orbit")).containsExactly(s(thrice), s(once));
        assertThat(found("planet")).containsExactly(s(sameB), s(sameA));
    }

    @Test
    void pagesFollowTheCursorWithoutGapsOrRepeats() {
        String conv = conversation(key, "Paging");
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ids.add(message(conv, "paging " + "filler ".repeat(i % 3)));
        }
        List<String> expected = found("paging");
        assertThat(expected).hasSize(7);
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            Map<String, Object> params = new LinkedHashMap<>(Map.of("q", "paging", "limit", 3));
            if (cursor != null) {
                params.put("cursor", cursor);
            }
            JsonPath page = search(key, params);
            seen.addAll(ids(page));
            cursor = page.getString("nextCursor");
        } while (cursor != null);
        assertThat(seen).containsExactlyElementsOf(expected);
        assertThat(seen).containsExactlyInAnyOrderElementsOf(ids.stream().map(UUID::toString).toList());
    }

    /**
     * Only the newest {@link dev.parley.store.SearchStore#RANKED_WINDOW} matches are ranked; the older ones follow,
     * newest first, with rank 0, so that paging reaches every match however many there are.
     */
    @Test
    void pagingContinuesPastTheRankedWindowWithOlderMatchesNewestFirst() {
        String conv = conversation(key, "Window");
        int window = dev.parley.store.SearchStore.RANKED_WINDOW;
        List<String> oldestFirst = new ArrayList<>();
        for (int i = 0; i < window + 15; i++) {
            // ranks differ within the window: a third of the messages say it twice
            oldestFirst.add(s(message(conv, i % 3 == 0 ? "beacon beacon" : "beacon among other words " + i)));
        }
        List<String> seen = new ArrayList<>();
        List<Double> ranks = new ArrayList<>();
        String cursor = null;
        do {
            Map<String, Object> params = new LinkedHashMap<>(Map.of("q", "beacon", "limit", 30));
            if (cursor != null) {
                params.put("cursor", cursor);
            }
            JsonPath page = search(key, params);
            seen.addAll(ids(page));
            ranks.addAll(page.getList("items.rank", Double.class));
            cursor = page.getString("nextCursor");
        } while (cursor != null);
        assertThat(seen).doesNotHaveDuplicates().hasSize(window + 15);
        List<String> newestFirst = new ArrayList<>(oldestFirst);
        java.util.Collections.reverse(newestFirst);
        // the ranked part: the newest matches, best first
        assertThat(seen.subList(0, window)).containsExactlyInAnyOrderElementsOf(newestFirst.subList(0, window));
        assertThat(ranks.subList(0, window)).allMatch(r -> r > 0).isSortedAccordingTo((a, b) -> Double.compare(b, a));
        // then the older ones, newest first, unranked
        assertThat(seen.subList(window, seen.size())).containsExactlyElementsOf(newestFirst.subList(window,
                newestFirst.size()));
        assertThat(ranks.subList(window, ranks.size())).containsOnly(0.0);
    }

    @Test
    void aPageMayEndTheRankedWindowAndBeginTheOlderMatches() {
        String conv = conversation(key, "Seam");
        int window = dev.parley.store.SearchStore.RANKED_WINDOW;
        List<String> oldestFirst = new ArrayList<>();
        for (int i = 0; i < window + 3; i++) {
            oldestFirst.add(s(message(conv, "seam " + i)));
        }
        int limit = 30;
        List<JsonPath> pages = new ArrayList<>();
        String cursor = null;
        do {
            Map<String, Object> params = new LinkedHashMap<>(Map.of("q", "seam", "limit", limit));
            if (cursor != null) {
                params.put("cursor", cursor);
            }
            pages.add(search(key, params));
            cursor = pages.get(pages.size() - 1).getString("nextCursor");
        } while (cursor != null);
        // the page holding the seam: the window's last ranked hits, then the three oldest messages, newest first
        JsonPath seam = pages.get(window / limit);
        List<String> ids = ids(seam);
        List<Double> ranks = seam.getList("items.rank", Double.class);
        int ranked = window % limit;
        assertThat(ids).hasSize(ranked + 3);
        assertThat(ranks.subList(0, ranked)).allMatch(r -> r > 0);
        assertThat(ranks.subList(ranked, ids.size())).containsOnly(0.0);
        assertThat(ids.subList(ranked, ids.size())).containsExactly(oldestFirst.get(2), oldestFirst.get(1),
                oldestFirst.get(0));
    }

    @Test
    void aMessageStoredWhilePagingNeitherRepeatsNorHidesTheOthers() {
        String conv = conversation(key, "Moving");
        int window = dev.parley.store.SearchStore.RANKED_WINDOW;
        List<String> stored = new ArrayList<>();
        for (int i = 0; i < window + 20; i++) {
            stored.add(s(message(conv, "moving " + "filler ".repeat(i % 4))));
        }
        JsonPath first = search(key, Map.of("q", "moving", "limit", 50));
        List<String> seen = new ArrayList<>(ids(first));
        message(conv, "moving again");
        String cursor = first.getString("nextCursor");
        while (cursor != null) {
            JsonPath page = search(key, Map.of("q", "moving", "limit", 50, "cursor", cursor));
            seen.addAll(ids(page));
            cursor = page.getString("nextCursor");
        }
        assertThat(seen).doesNotHaveDuplicates().containsAll(stored);
    }

    // --- tenants ----------------------------------------------------------------------------------------------------

    @Test
    void tenantsNeverSeeEachOthersMessagesNotEvenWithAnotherTenantsCursor() {
        Tenants.NewTenant other = result(tenants.createTenant("other-" + UUID.randomUUID(), Tenants.TENANT_SCOPES));
        String mine = conversation(key, "Mine");
        String theirs = conversation(other.plaintextKey(), "Theirs");
        List<String> myIds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            myIds.add(s(message(mine, "secret zebra " + i)));
            message(other.tenant().id(), theirs, Message.Role.USER, "secret zebra " + i);
        }
        assertThat(found("zebra")).containsExactlyInAnyOrderElementsOf(myIds);
        JsonPath theirFirst = search(other.plaintextKey(), Map.of("q", "zebra", "limit", 1));
        assertThat(theirFirst.getString("items[0].conversationId")).isEqualTo(theirs);
        String theirCursor = theirFirst.getString("nextCursor");
        assertThat(theirCursor).isNotNull();
        // their cursor only positions a page within my own results
        List<String> mineAfter = ids(search(key, Map.of("q", "zebra", "cursor", theirCursor, "limit", 100)));
        assertThat(myIds).containsAll(mineAfter);
        // a cursor that names one of their messages exactly still reaches none of theirs
        String theirMessage = theirFirst.getString("items[0].messageId");
        String forged = new SearchCursor(true, Double.MAX_VALUE, Timestamps.toMicros(
                Instant.parse("9999-12-31T00:00:00Z")), UUID.fromString(theirMessage), null).encode();
        assertThat(ids(search(key, Map.of("q", "zebra", "cursor", forged, "limit", 100))))
                .containsExactlyInAnyOrderElementsOf(myIds);
        assertThat(ids(search(key, Map.of("q", "zebra", "conversationId", theirs)))).isEmpty();
    }
}
