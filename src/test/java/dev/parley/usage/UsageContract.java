package dev.parley.usage;

import static dev.parley.testing.Await.result;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.parley.auth.Scope;
import dev.parley.auth.Tenants;
import dev.parley.provider.TokenEstimate;
import dev.parley.store.Cursor;
import dev.parley.store.Limits;
import dev.parley.store.Message;
import dev.parley.store.MessageStore;
import dev.parley.store.Page;
import dev.parley.store.TurnStore;
import dev.parley.store.UuidV7;
import dev.parley.testing.Eventually;
import dev.parley.testing.FakeUpstream;
import dev.parley.testing.SseClient;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Usage accounting and limits through the real HTTP stack, written once and run on SQLite and PostgreSQL: rollups
 * that always equal a recomputation from the stored messages, reports, limits per tenant and per key, budgets under
 * concurrency, and tenants that never touch each other's counters.
 */
public abstract class UsageContract {

    @Inject
    Tenants tenants;

    @Inject
    MessageStore messages;

    @Inject
    UsageHousekeeping housekeeping;

    @Inject
    TurnStore turns;

    Tenants.NewTenant tenant;
    String key;
    String admin;

    @BeforeEach
    void setUp() {
        FakeUpstream.reset();
        tenant = result(tenants.createTenant("usage-" + UUID.randomUUID(), Tenants.TENANT_SCOPES));
        key = tenant.plaintextKey();
        admin = result(tenants.createTenant("operator-" + UUID.randomUUID(), EnumSet.of(Scope.ADMIN)))
                .plaintextKey();
    }

    @AfterEach
    void restoreUpstreams() {
        FakeUpstream.reset();
    }

    static RequestSpecification as(String key) {
        return given().header("Authorization", "Bearer " + key).contentType(ContentType.JSON).accept(ContentType.JSON);
    }

    String conversation(String key, String model) {
        return as(key).body(new JsonObject().put("model", model).encode()).post("/api/conversations").then()
                .statusCode(201).extract().path("id");
    }

    /** A whole turn, not streamed. */
    Response turn(String key, String conversationId, String content) {
        return as(key).body(new JsonObject().put("content", content).put("stream", false).encode())
                .post("/api/conversations/" + conversationId + "/messages");
    }

    /** A turn on the OpenAI-compatible API, in a new conversation. */
    Response completion(String key, String model, Integer maxTokens) {
        JsonObject body = new JsonObject().put("model", model).put("messages", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "hi")));
        if (maxTokens != null) {
            body.put("max_tokens", maxTokens);
        }
        return as(key).body(body.encode()).post("/v1/chat/completions");
    }

    String newKey(String name) {
        return as(key).body("{\"name\":\"" + name + "\",\"scopes\":[\"read\",\"chat\"]}").post("/api/keys").then()
                .statusCode(201).extract().path("key");
    }

    void putTenantLimits(UUID tenantId, String json) {
        as(admin).body(json).put("/api/admin/tenants/" + tenantId + "/limits").then().statusCode(200);
    }

    List<Message> stored(UUID tenantId, String conversationId) {
        List<Message> all = new ArrayList<>();
        Cursor after = null;
        do {
            Page<Message> page = result(messages.list(tenantId, UUID.fromString(conversationId), after, 200));
            all.addAll(page.items());
            after = page.next();
        } while (after != null);
        return all;
    }

    static String today() {
        return LocalDate.now(ZoneOffset.UTC).toString();
    }

    // --- rollups == recomputation --------------------------------------------------------------------------------

    /** One group of the recomputation: what GET /api/usage?groupBy=day,model,key must answer for it. */
    record Counted(long turns, long tokensIn, long tokensOut, Map<String, Long> finishReasons) {

        /** One item of a report's JSON answer. */
        static Counted of(Map<String, Object> item) {
            @SuppressWarnings("unchecked")
            Map<String, Object> reasons = (Map<String, Object>) item.get("finishReasons");
            Map<String, Long> counts = new TreeMap<>();
            reasons.forEach((k, v) -> counts.put(k, ((Number) v).longValue()));
            return new Counted(((Number) item.get("turns")).longValue(), ((Number) item.get("tokensIn")).longValue(),
                    ((Number) item.get("tokensOut")).longValue(), counts);
        }
    }

    @Test
    void aThousandTurnsWithFailuresAndDisconnectsLeaveRollupsEqualToTheirRecomputation() throws Exception {
        FakeUpstream.tokens = 5;
        FakeUpstream.delayMs = 1;
        List<String> keys = List.of(key, newKey("second"), newKey("third"));
        List<String> conversations = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            conversations.add(conversation(keys.get(i % keys.size()), i % 2 == 0 ? FakeUpstream.MODEL
                    : FakeUpstream.SOLO_MODEL));
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            // whole replies
            run(pool, 700, () -> turn(keys.get(n.get() % 3), conversations.get(n.getAndIncrement() % 12), "hello")
                    .then().statusCode(200));
            // the upstreams fail before the first token: stored as provider_error, counted too
            FakeUpstream.FIRST.failStatus = 500;
            FakeUpstream.SECOND.failStatus = 500;
            run(pool, 100, () -> turn(keys.get(n.get() % 3), conversations.get(n.getAndIncrement() % 12), "fail")
                    .then().statusCode(502));
            FakeUpstream.FIRST.failStatus = 0;
            FakeUpstream.SECOND.failStatus = 0;
            // the upstream breaks off after two tokens: a partial reply
            FakeUpstream.breakAfterTokens = 2;
            run(pool, 100, () -> turn(keys.get(n.get() % 3), conversations.get(n.getAndIncrement() % 12), "break")
                    .then().statusCode(502));
            FakeUpstream.breakAfterTokens = -1;
            // the client goes away mid-stream
            FakeUpstream.tokens = 200;
            FakeUpstream.delayMs = 5;
            run(pool, 100, () -> {
                int i = n.getAndIncrement();
                try (SseClient sse = SseClient.post(RestAssured.port, "/api/conversations/" + conversations.get(i
                        % 12) + "/messages", keys.get(i % 3), new JsonObject().put("content", "leave").encode())) {
                    assertThat(sse.readUntil(e -> "delta".equals(e.name()))).isNotEmpty();
                }
                return null;
            });
        } finally {
            pool.shutdownNow();
        }
        // every disconnected turn stores its partial reply soon after the client left
        long replies = Eventually.value(() -> conversations.stream().mapToLong(c -> stored(tenant.tenant().id(), c)
                .stream().filter(m -> m.role() == Message.Role.ASSISTANT).count()).sum(), r -> r == 1000,
                java.time.Duration.ofSeconds(30));
        assertThat(replies).isEqualTo(1000);

        Map<String, Counted> recomputed = new TreeMap<>();
        for (String c : conversations) {
            for (Message m : stored(tenant.tenant().id(), c)) {
                if (m.role() != Message.Role.ASSISTANT) {
                    continue;
                }
                String group = m.createdAt().atOffset(ZoneOffset.UTC).toLocalDate() + "|" + m.model() + "|"
                        + m.keyId();
                Counted was = recomputed.getOrDefault(group, new Counted(0, 0, 0, Map.of()));
                Map<String, Long> reasons = new TreeMap<>(was.finishReasons());
                reasons.merge(m.finishReason(), 1L, Long::sum);
                recomputed.put(group, new Counted(was.turns() + 1, was.tokensIn() + m.tokensIn(),
                        was.tokensOut() + m.tokensOut(), reasons));
            }
        }
        assertThat(recomputed.values().stream().flatMap(c -> c.finishReasons().keySet().stream()).distinct())
                .as("finish reasons in the mix").contains("stop", "provider_error", "client_disconnected");

        String from = LocalDate.now(ZoneOffset.UTC).minusDays(1).toString();
        String to = LocalDate.now(ZoneOffset.UTC).plusDays(1).toString();
        JsonPath report = as(key).queryParam("from", from).queryParam("to", to).queryParam("groupBy", "day,model,key")
                .get("/api/usage").then().statusCode(200).extract().jsonPath();
        Map<String, Counted> reported = new TreeMap<>();
        List<Map<String, Object>> items = report.getList("items");
        for (Map<String, Object> item : items) {
            reported.put(item.get("day") + "|" + item.get("model") + "|" + item.get("keyId"), Counted.of(item));
        }
        assertThat(reported).isEqualTo(recomputed);

        // every other grouping (other rollup tables) has the same totals
        long tokensIn = recomputed.values().stream().mapToLong(Counted::tokensIn).sum();
        long tokensOut = recomputed.values().stream().mapToLong(Counted::tokensOut).sum();
        for (String groupBy : List.of("", "day", "model", "key", "model,key")) {
            as(key).queryParam("from", LocalDate.now(ZoneOffset.UTC).minusDays(70).toString()).queryParam("to", to)
                    .queryParam("groupBy", groupBy).get("/api/usage").then().statusCode(200)
                    .body("totals.turns", equalTo(1000)).body("totals.tokensIn", equalTo((int) tokensIn))
                    .body("totals.tokensOut", equalTo((int) tokensOut));
        }
    }

    private static void run(ExecutorService pool, int count, Callable<?> task) throws Exception {
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(pool.submit(task));
        }
        for (Future<?> f : futures) {
            f.get();
        }
    }

    // --- reports -------------------------------------------------------------------------------------------------

    @Test
    void theReportGroupsByDayModelAndKeyAndAnswersCsvWhenAskedTo() {
        FakeUpstream.tokens = 3;
        String second = newKey("second");
        turn(key, conversation(key, FakeUpstream.MODEL), "one").then().statusCode(200);
        turn(second, conversation(second, FakeUpstream.SOLO_MODEL), "two").then().statusCode(200);

        as(key).get("/api/usage").then().statusCode(200).contentType(ContentType.JSON)
                .body("from", equalTo(LocalDate.now(ZoneOffset.UTC).withDayOfMonth(1).toString()))
                .body("to", equalTo(today()))
                .body("items.size()", equalTo(1)).body("items[0].turns", equalTo(2))
                .body("items[0].tokensIn", equalTo(22)).body("items[0].tokensOut", equalTo(6))
                .body("items[0].finishReasons.stop", equalTo(2)).body("totals.turns", equalTo(2));
        as(key).queryParam("groupBy", "model").get("/api/usage").then().statusCode(200)
                .body("items.model", org.hamcrest.Matchers.contains(FakeUpstream.MODEL, FakeUpstream.SOLO_MODEL))
                .body("items[0].keyId", org.hamcrest.Matchers.nullValue());
        as(key).queryParam("groupBy", "key").queryParam("groupBy", "day").get("/api/usage").then().statusCode(200)
                .body("items.size()", equalTo(2)).body("items.day", org.hamcrest.Matchers.everyItem(equalTo(today())))
                .body("groupBy", org.hamcrest.Matchers.contains("day", "key"));

        String csv = given().header("Authorization", "Bearer " + key).accept("text/csv")
                .queryParam("groupBy", "day,model").get("/api/usage").then().statusCode(200)
                .contentType(org.hamcrest.Matchers.startsWith("text/csv")).extract().asString();
        assertThat(csv.split("\r\n")).containsExactly("day,model,turns,tokensIn,tokensOut,finishReasons.stop",
                today() + "," + FakeUpstream.MODEL + ",1,11,3,1", today() + "," + FakeUpstream.SOLO_MODEL + ",1,11,3,1");
    }

    /**
     * Reports by key read whole years, months and days, some taken away from others (ReportCover): over any range,
     * what they answer equals the replies of the days in it, replies dated after today (a replica whose clock runs
     * ahead) included.
     */
    @Test
    void aReportByKeyOverAnyRangeCountsTheRepliesOfItsDaysAndNoOthers() {
        UUID tenantId = tenant.tenant().id();
        UUID conversation = UUID.fromString(conversation(key, FakeUpstream.MODEL));
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        java.util.Random random = new java.util.Random(13);
        List<UUID> keyIds = List.of(UuidV7.next(), UuidV7.next(), UuidV7.next());
        List<Message> replies = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            LocalDate day = today.minusDays(800).plusDays(random.nextInt(841));
            Message reply = new Message(UuidV7.next(), tenantId, conversation, Message.Role.ASSISTANT, "r" + i,
                    1 + random.nextInt(50), 1 + random.nextInt(90), random.nextInt(4) == 0 ? "length" : "stop",
                    day.atStartOfDay(ZoneOffset.UTC).toInstant().plusSeconds(random.nextInt(86_400)),
                    keyIds.get(random.nextInt(3)), random.nextBoolean() ? "model-a" : "model-b");
            assertThat(result(turns.finish(new TurnStore.TurnEnd(reply, null)))).isTrue();
            replies.add(reply);
        }
        List<LocalDate[]> ranges = new ArrayList<>(List.of(
                new LocalDate[] { today.minusDays(364), today },
                new LocalDate[] { today.withDayOfYear(1).minusYears(1), today.withDayOfYear(1).minusDays(1) },
                new LocalDate[] { today.withDayOfYear(1), today },
                new LocalDate[] { today.withDayOfMonth(1), today.plusDays(40) },
                new LocalDate[] { today.minusDays(800), today.plusDays(40) }));
        for (int i = 0; i < 25; i++) {
            LocalDate from = today.minusDays(820).plusDays(random.nextInt(870));
            ranges.add(new LocalDate[] { from, from.plusDays(random.nextInt(random.nextBoolean() ? 40 : 700)) });
        }
        for (LocalDate[] range : ranges) {
            for (String groupBy : List.of("key", "model,key")) {
                Map<String, Counted> expected = new TreeMap<>();
                for (Message m : replies) {
                    LocalDate day = m.createdAt().atOffset(ZoneOffset.UTC).toLocalDate();
                    if (day.isBefore(range[0]) || day.isAfter(range[1])) {
                        continue;
                    }
                    String group = (groupBy.equals("key") ? "null" : m.model()) + "|" + m.keyId();
                    Counted was = expected.getOrDefault(group, new Counted(0, 0, 0, Map.of()));
                    Map<String, Long> reasons = new TreeMap<>(was.finishReasons());
                    reasons.merge(m.finishReason(), 1L, Long::sum);
                    expected.put(group, new Counted(was.turns() + 1, was.tokensIn() + m.tokensIn(),
                            was.tokensOut() + m.tokensOut(), reasons));
                }
                List<Map<String, Object>> items = as(key).queryParam("from", range[0].toString())
                        .queryParam("to", range[1].toString()).queryParam("groupBy", groupBy).get("/api/usage")
                        .then().statusCode(200).extract().jsonPath().getList("items");
                Map<String, Counted> reported = new TreeMap<>();
                for (Map<String, Object> item : items) {
                    reported.put(item.get("model") + "|" + item.get("keyId"), Counted.of(item));
                }
                assertThat(reported).as("%s..%s by %s", range[0], range[1], groupBy).isEqualTo(expected);
                if (range == ranges.get(0)) {
                    // across tenants (an admin's report, grouped by tenant too): the same groups for this tenant
                    List<Map<String, Object>> all = as(admin).queryParam("from", range[0].toString())
                            .queryParam("to", range[1].toString()).queryParam("groupBy", "tenant," + groupBy)
                            .get("/api/admin/usage").then().statusCode(200).extract().jsonPath().getList("items");
                    Map<String, Counted> ours = new TreeMap<>();
                    for (Map<String, Object> item : all) {
                        if (!tenantId.toString().equals(item.get("tenantId"))) {
                            continue;
                        }
                        ours.put(item.get("model") + "|" + item.get("keyId"), Counted.of(item));
                    }
                    assertThat(ours).as("admin report by tenant and %s", groupBy).isEqualTo(expected);
                }
            }
        }
    }

    /**
     * Replies that finish at the same moment (PostgreSQL stores them in one statement, SQLite's writer in one commit)
     * are each stored and counted exactly once; those of a conversation deleted meanwhile are neither stored nor
     * counted in a rollup, and keep no other from being stored; the tokens of every one count in the month of the
     * subjects without limits, so that a budget set afterwards knows them.
     */
    @Test
    void repliesFinishingTogetherAreEachStoredAndCountedOnce() {
        UUID tenantId = tenant.tenant().id();
        List<UUID> live = List.of(UUID.fromString(conversation(key, FakeUpstream.MODEL)),
                UUID.fromString(conversation(key, FakeUpstream.MODEL)));
        UUID gone = UUID.fromString(conversation(key, FakeUpstream.MODEL));
        as(key).delete("/api/conversations/" + gone).then().statusCode(204);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        java.util.Random random = new java.util.Random(17);
        List<UUID> keyIds = List.of(UuidV7.next(), UuidV7.next());
        TurnStore.Admission unlimited = new TurnStore.Admission(java.time.Instant.now(), "usage-test-process", 0,
                List.of(new TurnStore.Subject(tenantId, "tenant", Limits.NONE)));
        List<Message> replies = new ArrayList<>();
        for (int i = 0; i < 240; i++) {
            UUID conversation = i % 8 == 0 ? gone : live.get(random.nextInt(2));
            replies.add(new Message(UuidV7.next(), tenantId, conversation, Message.Role.ASSISTANT, "together " + i,
                    1 + random.nextInt(50), 1 + random.nextInt(90), random.nextInt(4) == 0 ? "length" : "stop",
                    today.minusDays(random.nextInt(3)).atStartOfDay(ZoneOffset.UTC).toInstant()
                            .plusSeconds(random.nextInt(86_400)),
                    keyIds.get(random.nextInt(2)), random.nextBoolean() ? "model-a" : "model-b"));
        }
        // every finish subscribed before any is answered
        List<java.util.concurrent.CompletableFuture<Boolean>> finishing = replies.stream()
                .map(r -> turns.finish(new TurnStore.TurnEnd(r, unlimited)).subscribeAsCompletionStage()).toList();
        Map<String, Counted> expected = new TreeMap<>();
        long spent = 0;
        for (int i = 0; i < replies.size(); i++) {
            Message m = replies.get(i);
            boolean kept = !m.conversationId().equals(gone);
            assertThat(finishing.get(i).join()).as("reply %d stored", i).isEqualTo(kept);
            spent += m.tokensIn() + m.tokensOut();
            if (kept) {
                Counted was = expected.getOrDefault(m.model() + "|" + m.keyId(), new Counted(0, 0, 0, Map.of()));
                Map<String, Long> reasons = new TreeMap<>(was.finishReasons());
                reasons.merge(m.finishReason(), 1L, Long::sum);
                expected.put(m.model() + "|" + m.keyId(), new Counted(was.turns() + 1,
                        was.tokensIn() + m.tokensIn(), was.tokensOut() + m.tokensOut(), reasons));
            }
        }
        for (UUID conversation : live) {
            assertThat(stored(tenantId, conversation.toString())).extracting(Message::id).containsExactlyInAnyOrderElementsOf(
                    replies.stream().filter(r -> r.conversationId().equals(conversation)).map(Message::id).toList());
        }
        assertThat(stored(tenantId, gone.toString())).isEmpty();
        List<Map<String, Object>> items = as(key).queryParam("from", today.minusDays(5).toString())
                .queryParam("to", today.toString()).queryParam("groupBy", "model,key").get("/api/usage").then()
                .statusCode(200).extract().jsonPath().getList("items");
        Map<String, Counted> reported = new TreeMap<>();
        for (Map<String, Object> item : items) {
            reported.put(item.get("model") + "|" + item.get("keyId"), Counted.of(item));
        }
        assertThat(reported).isEqualTo(expected);
        // the month so far holds every reply's tokens: a budget of exactly that is spent, one more token is not
        String conversation = live.get(0).toString();
        putTenantLimits(tenantId, "{\"monthlyTokenBudget\":" + spent + "}");
        problem(turn(key, conversation, "over"), 429, "budget-exhausted");
        putTenantLimits(tenantId, "{\"monthlyTokenBudget\":" + (spent + 1) + "}");
        turn(key, conversation, "within").then().statusCode(200);
    }

    @Test
    void badReportQuestionsAreProblemsThatNameTheMistake() {
        problem(as(key).queryParam("groupBy", "week").get("/api/usage"), 400, "invalid-request")
                .body("detail", org.hamcrest.Matchers.containsString("week"));
        problem(as(key).queryParam("groupBy", "tenant").get("/api/usage"), 400, "invalid-request");
        problem(as(key).queryParam("from", "2026-13-01").get("/api/usage"), 400, "invalid-request");
        problem(as(key).queryParam("from", "2026-02-01").queryParam("to", "2026-01-01").get("/api/usage"), 400,
                "invalid-request");
        problem(as(key).queryParam("from", "1990-01-01").queryParam("to", "2026-01-01").get("/api/usage"), 400,
                "invalid-request");
    }

    @Test
    void adminUsageSpansTenantsAndGroupsByTenant() {
        FakeUpstream.tokens = 2;
        Tenants.NewTenant other = result(tenants.createTenant("usage-other-" + UUID.randomUUID(),
                Tenants.TENANT_SCOPES));
        turn(key, conversation(key, FakeUpstream.MODEL), "mine").then().statusCode(200);
        turn(other.plaintextKey(), conversation(other.plaintextKey(), FakeUpstream.MODEL), "theirs").then()
                .statusCode(200);
        JsonPath all = as(admin).queryParam("groupBy", "tenant").get("/api/admin/usage").then().statusCode(200)
                .extract().jsonPath();
        assertThat(all.getList("items.tenantId")).contains(tenant.tenant().id().toString(),
                other.tenant().id().toString());
        as(admin).queryParam("tenant", other.tenant().id().toString()).get("/api/admin/usage").then()
                .statusCode(200).body("totals.turns", equalTo(1));
        // a tenant's own report never counts another's turns
        as(other.plaintextKey()).get("/api/usage").then().statusCode(200).body("totals.turns", equalTo(1));
        problem(as(key).get("/api/admin/usage"), 403, "forbidden");
    }

    // --- limits --------------------------------------------------------------------------------------------------

    static io.restassured.response.ValidatableResponse problem(Response r, int status, String slug) {
        return r.then().statusCode(status).contentType("application/problem+json")
                .body("type", equalTo("https://parley.dev/problems/" + slug));
    }

    @Test
    void limitsAreSetByAnAdminReadBackAndCheckedStrictly() {
        UUID id = tenant.tenant().id();
        as(admin).get("/api/admin/tenants/" + id + "/limits").then().statusCode(200)
                .body("requestsPerMinute", org.hamcrest.Matchers.nullValue())
                .body("monthlyTokenBudget", org.hamcrest.Matchers.nullValue());
        putTenantLimits(id, "{\"requestsPerMinute\":60,\"tokensPerMinute\":null,\"concurrentTurns\":4,"
                + "\"monthlyTokenBudget\":1000000}");
        as(admin).get("/api/admin/tenants/" + id + "/limits").then().statusCode(200)
                .body("requestsPerMinute", equalTo(60)).body("tokensPerMinute", org.hamcrest.Matchers.nullValue())
                .body("concurrentTurns", equalTo(4)).body("monthlyTokenBudget", equalTo(1000000));
        problem(as(admin).body("{\"requestPerMinute\":5}").put("/api/admin/tenants/" + id + "/limits"), 400,
                "invalid-request").body("detail", org.hamcrest.Matchers.containsString("requestPerMinute"));
        problem(as(admin).body("{\"requestsPerMinute\":-1}").put("/api/admin/tenants/" + id + "/limits"), 400,
                "invalid-request");
        problem(as(admin).body("{\"requestsPerMinute\":1.5}").put("/api/admin/tenants/" + id + "/limits"), 400,
                "invalid-request");
        problem(as(admin).body("{\"requestsPerMinute\":\"5\"}").put("/api/admin/tenants/" + id + "/limits"), 400,
                "invalid-request");
        problem(as(admin).body("{}").put("/api/admin/tenants/" + UUID.randomUUID() + "/limits"), 404, "not-found");
        as(admin).get("/api/admin/tenants/" + id + "/limits").then().body("requestsPerMinute", equalTo(60));
    }

    @Test
    void aKeysLimitsAreNeverAboveItsTenantsAndApplyAtOnce() {
        putTenantLimits(tenant.tenant().id(), "{\"requestsPerMinute\":100}");
        String keyId = as(key).body("{\"name\":\"limited\",\"scopes\":[\"chat\"]}").post("/api/keys").then()
                .statusCode(201).extract().path("id");
        String limited = as(key).get("/api/keys/" + keyId).then().statusCode(200)
                .body("limits.requestsPerMinute", org.hamcrest.Matchers.nullValue()).extract().path("id");
        assertThat(limited).isEqualTo(keyId);
        problem(as(key).body("{\"limits\":{\"requestsPerMinute\":101}}").patch("/api/keys/" + keyId), 400,
                "invalid-request").body("detail", org.hamcrest.Matchers.containsString("above the tenant's"));
        problem(as(key).body("{\"name\":\"renamed\"}").patch("/api/keys/" + keyId), 400, "invalid-request");
        problem(as(key).body("{\"limits\":{}}").patch("/api/keys/" + UUID.randomUUID()), 404, "not-found");
        String plaintext = as(key).body("{\"name\":\"one-a-minute\",\"scopes\":[\"chat\"]}").post("/api/keys")
                .then().statusCode(201).extract().path("key");
        String oneId = as(key).get("/api/keys").then().extract().jsonPath()
                .getString("items.find { it.name == 'one-a-minute' }.id");
        // used once, so that the key is cached: the change must still apply to its next request
        String conversation = conversation(key, FakeUpstream.MODEL);
        FakeUpstream.tokens = 2;
        turn(plaintext, conversation, "before").then().statusCode(200);
        as(key).body("{\"limits\":{\"requestsPerMinute\":1}}").patch("/api/keys/" + oneId).then().statusCode(200)
                .body("limits.requestsPerMinute", equalTo(1));
        as(key).get("/api/keys/" + oneId).then().body("limits.requestsPerMinute", equalTo(1));
        turn(plaintext, conversation, "first of this minute").then().statusCode(org.hamcrest.Matchers.anyOf(
                equalTo(200), equalTo(429)));
        Response refused = turn(plaintext, conversation, "second of this minute");
        problem(refused, 429, "rate-limited");
        // the tenant's other keys are not limited by this key's limit
        turn(key, conversation, "another key").then().statusCode(200);
    }

    @Test
    void overARequestRateATurnIsRefusedWithRateLimitHeadersBeforeAnythingIsStored() {
        FakeUpstream.tokens = 2;
        putTenantLimits(tenant.tenant().id(), "{\"requestsPerMinute\":2}");
        String conversation = conversation(key, FakeUpstream.MODEL);
        int admitted = 0;
        Response refused = null;
        for (int i = 0; i < 3 && refused == null; i++) {
            Response r = turn(key, conversation, "turn " + i);
            if (r.statusCode() == 429) {
                refused = r;
            } else {
                r.then().statusCode(200);
                admitted++;
            }
        }
        assertThat(refused).as("the third turn of the minute (or the first of the next, at a minute's edge)")
                .isNotNull();
        problem(refused, 429, "rate-limited");
        assertThat(refused.header("RateLimit-Limit")).isEqualTo("2");
        assertThat(refused.header("RateLimit-Remaining")).isEqualTo("0");
        assertThat(Integer.parseInt(refused.header("Retry-After"))).isBetween(1, 61);
        assertThat(Integer.parseInt(refused.header("RateLimit-Reset"))).isBetween(1, 61);
        assertThat(stored(tenant.tenant().id(), conversation)).hasSize(2 * admitted);
        // the same on the OpenAI-compatible API
        problem(completion(key, FakeUpstream.MODEL, null), 429, "rate-limited");
    }

    @Test
    void aTurnIntoAnotherTenantsConversationIsNotFoundAndCountsAgainstNoLimit() {
        FakeUpstream.tokens = 2;
        // room for two turns' requests, one turn at a time, and about three reservations of the default size
        putTenantLimits(tenant.tenant().id(),
                "{\"requestsPerMinute\":2,\"concurrentTurns\":1,\"monthlyTokenBudget\":3000}");
        Tenants.NewTenant other = result(tenants.createTenant("usage-404-" + UUID.randomUUID(),
                Tenants.TENANT_SCOPES));
        String theirs = conversation(other.plaintextKey(), FakeUpstream.MODEL);
        for (int i = 0; i < 3; i++) {
            problem(turn(key, theirs, "not mine " + i), 404, "not-found");
        }
        // the same found only by the store, as when the conversation is deleted between the turn's read and its write
        UUID tenantId = tenant.tenant().id();
        Limits limits = new Limits(2L, null, 1L, 3000L);
        for (int i = 0; i < 3; i++) {
            TurnStore.Admission admission = new TurnStore.Admission(java.time.Instant.now(), "usage-test-process",
                    1024, List.of(new TurnStore.Subject(tenantId, "tenant", limits)));
            TurnStore.TurnStart start = new TurnStore.TurnStart(null, List.of(new Message(UuidV7.next(), tenantId,
                    UUID.fromString(theirs), Message.Role.USER, "not mine either", 2, 0, null,
                    java.time.Instant.now())), admission);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> result(turns.start(start)))
                    .isInstanceOf(dev.parley.store.NoSuchConversationException.class);
        }
        // none of the six took a request, a turn in flight or a reservation
        String mine = conversation(key, FakeUpstream.MODEL);
        turn(key, mine, "first").then().statusCode(200);
        turn(key, mine, "second").then().statusCode(200);
        assertThat(stored(other.tenant().id(), theirs)).isEmpty();
        as(key).get("/api/usage").then().statusCode(200).body("totals.turns", equalTo(2));
    }

    @Test
    void aTurnOverTheConcurrencyLimitIsRefusedUntilTheRunningOneEnds() throws Exception {
        putTenantLimits(tenant.tenant().id(), "{\"concurrentTurns\":1}");
        String conversation = conversation(key, FakeUpstream.MODEL);
        FakeUpstream.tokens = 40;
        FakeUpstream.delayMs = 20;
        try (SseClient running = SseClient.post(RestAssured.port, "/api/conversations/" + conversation + "/messages",
                key, new JsonObject().put("content", "long").encode())) {
            assertThat(running.readUntil(e -> "delta".equals(e.name()))).isNotEmpty();
            Response refused = turn(key, conversation, "meanwhile");
            problem(refused, 429, "rate-limited").body("detail", org.hamcrest.Matchers.containsString("concurrent"));
            assertThat(refused.header("Retry-After")).isNotNull();
            running.readAll();
        }
        FakeUpstream.tokens = 2;
        FakeUpstream.delayMs = 1;
        turn(key, conversation, "after").then().statusCode(200);
        assertThat(stored(tenant.tenant().id(), conversation)).extracting(Message::content)
                .doesNotContain("meanwhile");
    }

    @Test
    void aProcessThatStoppedBeatingNoLongerHoldsItsTurnsOnceHousekeepingRan() throws Exception {
        putTenantLimits(tenant.tenant().id(), "{\"concurrentTurns\":1}");
        UUID tenantId = tenant.tenant().id();
        String conversation = conversation(key, FakeUpstream.MODEL);
        // a turn another process admitted, which then died mid-stream: it never settles and never beats
        Limits limits = new Limits(null, null, 1L, null);
        TurnStore.Admission gone = new TurnStore.Admission(java.time.Instant.now(), "replica-that-died-" + UUID.randomUUID(),
                10, List.of(new TurnStore.Subject(tenantId, "tenant", limits)));
        result(turns.start(new TurnStore.TurnStart(null, List.of(new Message(UuidV7.next(), tenantId,
                UUID.fromString(conversation), Message.Role.USER, "from the dead replica", 2, 0, null,
                java.time.Instant.now())), gone)));
        housekeeping.prune(java.time.Instant.now());
        FakeUpstream.tokens = 40;
        FakeUpstream.delayMs = 20;
        // its turn no longer counts: this process's turn is admitted, and the limit holds for the ones after it
        try (SseClient running = SseClient.post(RestAssured.port, "/api/conversations/" + conversation + "/messages",
                key, new JsonObject().put("content", "long").encode())) {
            assertThat(running.readUntil(e -> "delta".equals(e.name()))).isNotEmpty();
            problem(turn(key, conversation, "meanwhile"), 429, "rate-limited");
            running.readAll();
        }
        FakeUpstream.tokens = 2;
        FakeUpstream.delayMs = 1;
        turn(key, conversation, "after").then().statusCode(200);
    }

    @Test
    void fiftyConcurrentTurnsOvershootASmallBudgetByAtMostTheirReservationsAndTheRestStoreNothing()
            throws Exception {
        FakeUpstream.tokens = 5; // each reply: 11 tokens in, 5 out; each turn reserves its prompt plus max_tokens 50
        FakeUpstream.delayMs = 5;
        long budget = 100;
        putTenantLimits(tenant.tenant().id(), "{\"monthlyTokenBudget\":" + budget + "}");
        ExecutorService pool = Executors.newFixedThreadPool(50);
        List<Future<Response>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                futures.add(pool.submit(() -> completion(key, FakeUpstream.MODEL, 50)));
            }
            int admitted = 0;
            for (Future<Response> f : futures) {
                Response r = f.get();
                if (r.statusCode() == 200) {
                    admitted++;
                } else {
                    problem(r, 429, "budget-exhausted");
                    assertThat(r.header("Retry-After")).isNotNull();
                }
            }
            long reservation = TokenEstimate.of("hi") + 50;
            assertThat(admitted).isBetween(1, 49);
            JsonPath usage = as(key).get("/api/usage").then().statusCode(200).extract().jsonPath();
            long spent = usage.getLong("totals.tokensIn") + usage.getLong("totals.tokensOut");
            assertThat(usage.getInt("totals.turns")).isEqualTo(admitted);
            assertThat(spent).isEqualTo(16L * admitted);
            assertThat(spent - budget).as("overshoot").isLessThanOrEqualTo(admitted * reservation);
            // refused turns stored nothing: one conversation per admitted turn
            JsonPath listed = as(key).queryParam("limit", "100").get("/api/conversations").then().statusCode(200)
                    .extract().jsonPath();
            assertThat(listed.getList("items")).hasSize(admitted);
            // turns one after another are admitted while the settled spend is below the budget (the burst's
            // reservations, not its spend, refused the rest), and once the spend reaches it every further turn this
            // month is refused; the last admitted turn overshoots by at most its own spend
            Response next = completion(key, FakeUpstream.MODEL, 1);
            int sequential = 0;
            while (next.statusCode() == 200) {
                sequential++;
                assertThat(spent + 16L * (sequential - 1)).as("admitted only below the budget").isLessThan(budget);
                next = completion(key, FakeUpstream.MODEL, 1);
            }
            problem(next, 429, "budget-exhausted");
            long finalSpend = spent + 16L * sequential;
            assertThat(finalSpend).isGreaterThanOrEqualTo(budget);
            assertThat(finalSpend - budget).isLessThanOrEqualTo(Math.max(spent - budget, 16));
            problem(completion(key, FakeUpstream.MODEL, 1), 429, "budget-exhausted");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void housekeepingDropsPastMinuteCountersAndKeepsTheMonthsCounters() {
        FakeUpstream.tokens = 2;
        putTenantLimits(tenant.tenant().id(), "{\"requestsPerMinute\":1}");
        completion(key, FakeUpstream.MODEL, null).then().statusCode(200);
        problem(completion(key, FakeUpstream.MODEL, null), 429, "rate-limited");
        // run as if three minutes had passed: this minute's counter is past and goes
        assertThat(housekeeping.prune(java.time.Instant.now().plusSeconds(180))).isPositive();
        completion(key, FakeUpstream.MODEL, null).then().statusCode(200);
        // the month's counter stayed: a budget equal to what was spent refuses the next turn
        JsonPath usage = as(key).get("/api/usage").then().statusCode(200).extract().jsonPath();
        assertThat(usage.getInt("totals.turns")).isEqualTo(2);
        long spent = usage.getLong("totals.tokensIn") + usage.getLong("totals.tokensOut");
        putTenantLimits(tenant.tenant().id(), "{\"monthlyTokenBudget\":" + spent + "}");
        problem(completion(key, FakeUpstream.MODEL, null), 429, "budget-exhausted");
    }

    @Test
    void oneTenantsLimitsAndCountersNeverTouchAnothers() {
        FakeUpstream.tokens = 2;
        Tenants.NewTenant other = result(tenants.createTenant("usage-iso-" + UUID.randomUUID(),
                Tenants.TENANT_SCOPES));
        putTenantLimits(tenant.tenant().id(), "{\"monthlyTokenBudget\":0,\"requestsPerMinute\":0}");
        problem(completion(key, FakeUpstream.MODEL, null), 429, "budget-exhausted");
        for (int i = 0; i < 5; i++) {
            completion(other.plaintextKey(), FakeUpstream.MODEL, null).then().statusCode(200);
        }
        as(admin).get("/api/admin/tenants/" + other.tenant().id() + "/limits").then().statusCode(200)
                .body("monthlyTokenBudget", org.hamcrest.Matchers.nullValue());
        as(key).get("/api/usage").then().statusCode(200).body("totals.turns", equalTo(0));
        as(other.plaintextKey()).get("/api/usage").then().statusCode(200).body("totals.turns", equalTo(5));
        as(key).get("/api/keys").then().statusCode(200).body("items.id", hasItem(tenant.key().id().toString()));
    }
}
