package dev.parley.billing;

import static dev.parley.testing.Await.result;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.parley.auth.Scope;
import dev.parley.auth.Tenants;
import dev.parley.billing.StripeFixtures.Customer;
import dev.parley.billing.StripeFixtures.Delivery;
import dev.parley.store.BillingStore;
import dev.parley.store.SubscriptionTransition;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.restassured.response.ValidatableResponse;
import io.vertx.core.json.JsonObject;

/**
 * Stripe webhooks through the real HTTP stack, exactly once, and the subscription state and budget they set.
 * Written once, run on SQLite and on PostgreSQL.
 */
public abstract class StripeWebhookContract {

    @Inject
    Tenants tenants;

    @Inject
    Entitlements entitlements;

    @Inject
    BillingStore store;

    String adminKey;
    String key;
    UUID tenant;
    /** Event times close to now, so that the grace period is measured from them. */
    long t0;

    @BeforeEach
    void createTenants() {
        adminKey = result(tenants.createTenant("billing-admin-" + UUID.randomUUID(), Set.of(Scope.ADMIN)))
                .plaintextKey();
        Tenants.NewTenant t = result(tenants.createTenant("billing-" + UUID.randomUUID(), Tenants.TENANT_SCOPES));
        key = t.plaintextKey();
        tenant = t.tenant().id();
        t0 = Instant.now().getEpochSecond() - 3600;
    }

    // --- deliveries

    static ValidatableResponse deliver(String payload, String signatureHeader) {
        var request = given().contentType("application/json; charset=utf-8").body(payload);
        if (signatureHeader != null) {
            request.header("Stripe-Signature", signatureHeader);
        }
        return request.post("/webhooks/stripe").then();
    }

    static ValidatableResponse deliver(Delivery d) {
        return deliver(d.payload(), StripeFixtures.signature(d.payload()));
    }

    static void applied(Delivery d) {
        deliver(d).statusCode(200).body("duplicate", equalTo(false));
    }

    static ValidatableResponse problem(ValidatableResponse r, int status, String slug) {
        return r.statusCode(status).contentType("application/problem+json").body("status", equalTo(status))
                .body("type", equalTo("https://parley.dev/problems/" + slug)).body("detail", notNullValue());
    }

    Delivery created(Customer c, long at, String status, String price) {
        return StripeFixtures.subscriptionEvent("customer.subscription.created", at, c, status, price, true);
    }

    Delivery updated(Customer c, long at, String status) {
        return StripeFixtures.subscriptionEvent("customer.subscription.updated", at, c, status,
                StripeFixtures.PRO_PRICE, true);
    }

    /** Every stored event, newest first, through the admin API's pages. */
    List<Map<String, Object>> storedEvents(boolean unmatchedOnly) {
        List<Map<String, Object>> all = new ArrayList<>();
        String cursor = null;
        do {
            var request = given().header("Authorization", "Bearer " + adminKey).queryParam("limit", 100)
                    .queryParam("unmatched", unmatchedOnly);
            if (cursor != null) {
                request.queryParam("cursor", cursor);
            }
            JsonPath page = request.get("/api/admin/billing/events").then().statusCode(200).extract().jsonPath();
            all.addAll(page.getList("items"));
            cursor = page.getString("nextCursor");
        } while (cursor != null);
        return all;
    }

    Set<Object> storedEventIds(boolean unmatchedOnly) {
        Set<Object> ids = new HashSet<>();
        storedEvents(unmatchedOnly).forEach(e -> ids.add(e.get("id")));
        return ids;
    }

    JsonPath subscriptionOf(UUID tenantId) {
        return given().header("Authorization", "Bearer " + adminKey)
                .get("/api/admin/tenants/" + tenantId + "/subscription").then().statusCode(200).extract().jsonPath();
    }

    OptionalLong budget(UUID tenantId, Instant at) {
        return result(entitlements.monthlyTokenBudget(tenantId, at));
    }

    // --- signature vectors

    @Test
    void aValidSignatureIsAcceptedWithoutAnyApiKey() {
        Delivery d = created(Customer.of(tenant), t0, "active", StripeFixtures.PRO_PRICE);
        deliver(d).statusCode(200).contentType("application/json").body("received", equalTo(true))
                .body("eventId", equalTo(d.eventId())).body("duplicate", equalTo(false))
                .body("outcome", equalTo("applied"));
        assertThat(storedEventIds(false)).contains(d.eventId());
    }

    @Test
    void aPayloadChangedByOneByteIsRejectedAndNothingIsStored() {
        Delivery d = created(Customer.of(tenant), t0, "active", StripeFixtures.PRO_PRICE);
        String header = StripeFixtures.signature(d.payload());
        String tampered = d.payload().replace("\"amount\":2900", "\"amount\":2901");
        assertThat(tampered.length()).isEqualTo(d.payload().length());
        assertThat(tampered).isNotEqualTo(d.payload());
        problem(deliver(tampered, header), 400, "invalid-signature");
        assertThat(storedEventIds(false)).doesNotContain(d.eventId());
        given().header("Authorization", "Bearer " + key).get("/api/billing/subscription").then().statusCode(200)
                .body("subscriptionId", nullValue());
    }

    @Test
    void aSignatureMadeWithAnotherSecretIsRejected() {
        Delivery d = created(Customer.of(tenant), t0, "active", StripeFixtures.PRO_PRICE);
        String header = StripeFixtures.signature("whsec_not_ours_0000000000000000", Instant.now().getEpochSecond(),
                d.payload());
        problem(deliver(d.payload(), header), 400, "invalid-signature");
        assertThat(storedEventIds(false)).doesNotContain(d.eventId());
    }

    @Test
    void aTimestampOutsideTheToleranceIsRejected() {
        Delivery d = created(Customer.of(tenant), t0, "active", StripeFixtures.PRO_PRICE);
        long stale = Instant.now().getEpochSecond() - 301;
        problem(deliver(d.payload(), StripeFixtures.signature(StripeFixtures.SECRET, stale, d.payload())), 400,
                "invalid-signature").body("detail", equalTo("the signature's timestamp is more than 300 s old "
                        + "(or unreadable)"));
        assertThat(storedEventIds(false)).doesNotContain(d.eventId());
    }

    @Test
    void twoV1SignaturesOfWhichOneIsValidAreAccepted() {
        Delivery d = created(Customer.of(tenant), t0, "active", StripeFixtures.PRO_PRICE);
        long now = Instant.now().getEpochSecond();
        String header = "t=" + now + ",v1=" + StripeFixtures.hmac("whsec_some_other_endpoint_000000", now,
                d.payload()) + ",v1=" + StripeFixtures.hmac(StripeFixtures.SECRET, now, d.payload());
        deliver(d.payload(), header).statusCode(200).body("duplicate", equalTo(false));
    }

    @Test
    void theSecretBeingRotatedOutIsStillAccepted() {
        Delivery d = created(Customer.of(tenant), t0, "active", StripeFixtures.PRO_PRICE);
        deliver(d.payload(), StripeFixtures.signature(StripeFixtures.PREVIOUS_SECRET, Instant.now().getEpochSecond(),
                d.payload())).statusCode(200).body("duplicate", equalTo(false));
    }

    @Test
    void aDeliveryWithoutSignatureIsRejected() {
        Delivery d = created(Customer.of(tenant), t0, "active", StripeFixtures.PRO_PRICE);
        problem(deliver(d.payload(), null), 400, "invalid-signature");
        assertThat(storedEventIds(false)).doesNotContain(d.eventId());
    }

    @Test
    void aSignedPayloadThatIsNotAStripeEventIsRejected() {
        String payload = "this is not JSON";
        problem(deliver(payload, StripeFixtures.signature(payload)), 400, "malformed-event");
    }

    @Test
    void rejectionsNameNoSecret() {
        Delivery d = created(Customer.of(tenant), t0, "active", StripeFixtures.PRO_PRICE);
        String body = deliver(d.payload(), "t=1,v1=00").statusCode(400).extract().asString();
        assertThat(body).doesNotContain(StripeFixtures.SECRET).doesNotContain(StripeFixtures.PREVIOUS_SECRET)
                .doesNotContain("whsec_");
    }

    // --- exactly once

    @Test
    void aDuplicateDeliveryAnswers200AndChangesNothing() {
        Customer c = Customer.of(tenant);
        Delivery d = created(c, t0, "active", StripeFixtures.PRO_PRICE);
        applied(d);
        JsonPath before = subscriptionOf(tenant);
        deliver(d).statusCode(200).body("duplicate", equalTo(true)).body("outcome", nullValue());
        JsonPath after = subscriptionOf(tenant);
        assertThat(after.getMap("")).isEqualTo(before.getMap(""));
        assertThat(after.getList("transitions")).hasSize(1);
    }

    /** Four subscriptions' lives, five events each: twenty distinct events. */
    private List<Delivery> twentyEvents(List<Customer> customers) {
        List<Delivery> events = new ArrayList<>();
        for (Customer c : customers) {
            events.add(created(c, t0, "incomplete", StripeFixtures.PRO_PRICE));
            events.add(StripeFixtures.invoiceEvent("invoice.paid", t0 + 1, c, "subscription_create"));
            events.add(updated(c, t0 + 2, "active"));
            events.add(StripeFixtures.invoiceEvent("invoice.payment_failed", t0 + 50, c, "subscription_cycle"));
            events.add(updated(c, t0 + 51, "past_due"));
        }
        return events;
    }

    private List<Customer> newCustomers(int n) {
        List<Customer> customers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            customers.add(Customer.of(result(tenants.createTenant("burst-" + UUID.randomUUID(), Tenants.TENANT_SCOPES))
                    .tenant().id()));
        }
        return customers;
    }

    private record Answer(String eventId, int status, boolean duplicate) {
    }

    /** Every delivery sent at once (well, from 200 threads released together), in shuffled order. */
    private static List<Answer> fireConcurrently(List<Delivery> deliveries) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI uri = URI.create("http://localhost:" + RestAssured.port + "/webhooks/stripe");
        ExecutorService pool = Executors.newFixedThreadPool(200);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Callable<Answer>> calls = new ArrayList<>();
            for (Delivery d : deliveries) {
                calls.add(() -> {
                    go.await();
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
                            .header("Content-Type", "application/json; charset=utf-8")
                            .header("Stripe-Signature", StripeFixtures.signature(d.payload()))
                            .POST(HttpRequest.BodyPublishers.ofString(d.payload())).build(),
                            HttpResponse.BodyHandlers.ofString());
                    boolean duplicate = r.statusCode() == 200 && new JsonObject(r.body()).getBoolean("duplicate");
                    return new Answer(d.eventId(), r.statusCode(), duplicate);
                });
            }
            List<Future<Answer>> running = calls.stream().map(pool::submit).toList();
            go.countDown();
            List<Answer> answers = new ArrayList<>();
            for (Future<Answer> f : running) {
                answers.add(f.get(120, TimeUnit.SECONDS));
            }
            return answers;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void twentyEventsTimesFiftyConcurrentCopiesAreEachAppliedExactlyOnce() throws Exception {
        List<Customer> customers = newCustomers(4);
        List<Delivery> events = twentyEvents(customers);
        List<Delivery> copies = new ArrayList<>();
        for (Delivery d : events) {
            copies.addAll(Collections.nCopies(50, d));
        }
        Collections.shuffle(copies, new Random(20));

        List<Answer> answers = fireConcurrently(copies);

        assertThat(answers).hasSize(1000).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
        Map<String, Integer> firstDeliveries = new HashMap<>();
        answers.stream().filter(a -> !a.duplicate()).forEach(a -> firstDeliveries.merge(a.eventId(), 1, Integer::sum));
        assertThat(firstDeliveries).as("deliveries answered as new, per event").hasSize(20)
                .allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
        List<Map<String, Object>> stored = storedEvents(false).stream()
                .filter(e -> firstDeliveries.containsKey(e.get("id"))).toList();
        assertThat(stored).as("stored rows of the twenty events").hasSize(20);

        for (Customer c : customers) {
            JsonPath s = subscriptionOf(UUID.fromString(c.tenantId()));
            assertThat(s.getString("status")).isEqualTo("past_due");
            List<SubscriptionTransition> audit = result(store.transitions(c.subscriptionId()));
            assertThat(audit).extracting(SubscriptionTransition::eventId).as("one transition per event at most")
                    .doesNotHaveDuplicates();
            String previous = null;
            for (SubscriptionTransition t : audit) {
                assertThat(t.fromStatus()).as("each transition starts where the previous ended").isEqualTo(previous);
                assertThat(t.toStatus()).isNotEqualTo(t.fromStatus());
                previous = t.toStatus();
            }
            assertThat(previous).isEqualTo("past_due");
        }
    }

    @Test
    void theSameEventsInShuffledOrderEndInTheSameState() {
        List<List<Delivery>> lives = new ArrayList<>();
        List<Customer> customers = newCustomers(4);
        for (Customer c : customers) {
            lives.add(List.of(
                    created(c, t0, "incomplete", StripeFixtures.PRO_PRICE),
                    StripeFixtures.checkoutCompleted(t0 + 1, c, c.tenantId()),
                    StripeFixtures.invoiceEvent("invoice.paid", t0 + 1, c, "subscription_create"),
                    updated(c, t0 + 1, "active"),
                    StripeFixtures.invoiceEvent("invoice.payment_failed", t0 + 100, c, "subscription_cycle"),
                    updated(c, t0 + 100, "past_due"),
                    StripeFixtures.invoiceEvent("invoice.paid", t0 + 200, c, "subscription_cycle"),
                    updated(c, t0 + 201, "active"),
                    StripeFixtures.subscriptionEvent("customer.subscription.paused", t0 + 300, c, "paused",
                            StripeFixtures.TEAM_PRICE, true),
                    StripeFixtures.subscriptionEvent("customer.subscription.resumed", t0 + 400, c, "active",
                            StripeFixtures.TEAM_PRICE, true)));
        }
        lives.get(0).forEach(StripeWebhookContract::applied); // in order
        Random random = new Random(7);
        for (List<Delivery> life : lives.subList(1, lives.size())) {
            List<Delivery> shuffled = new ArrayList<>(life);
            Collections.shuffle(shuffled, random);
            shuffled.forEach(StripeWebhookContract::applied);
        }

        List<Map<String, Object>> ends = new ArrayList<>();
        for (Customer c : customers) {
            JsonPath s = subscriptionOf(UUID.fromString(c.tenantId()));
            ends.add(Map.of("status", s.getString("status"), "price", s.getString("priceId"), "plan",
                    s.getString("plan.name"), "periodEnd", s.getString("currentPeriodEnd"), "budget",
                    s.getLong("monthlyTokenBudget"), "lastEventCreated", s.getString("lastEvent.created")));
        }
        assertThat(ends.get(0)).containsEntry("status", "active").containsEntry("plan", "plan-2")
                .containsEntry("budget", StripeFixtures.TEAM_TOKENS);
        assertThat(ends).allSatisfy(end -> assertThat(end).isEqualTo(ends.get(0)));
    }

    // --- budgets and plans

    @Test
    void theBudgetFollowsThePlanThroughTheSubscriptionsLife() {
        Customer c = Customer.of(tenant);
        Instant now = Instant.now();
        assertThat(budget(tenant, now)).as("no subscription: no plan limit").isEmpty();

        applied(created(c, t0, "active", StripeFixtures.PRO_PRICE));
        assertThat(budget(tenant, now)).hasValue(StripeFixtures.PRO_TOKENS);

        applied(StripeFixtures.invoiceEvent("invoice.payment_failed", t0 + 10, c, "subscription_cycle"));
        assertThat(subscriptionOf(tenant).getString("status")).isEqualTo("past_due");
        assertThat(budget(tenant, now)).as("past due, within the grace period").hasValue(StripeFixtures.PRO_TOKENS);
        assertThat(budget(tenant, Instant.ofEpochSecond(t0 + 10).plus(Duration.ofDays(3))))
                .as("past due, grace period over").hasValue(StripeFixtures.FREE_TOKENS);

        applied(StripeFixtures.invoiceEvent("invoice.paid", t0 + 20, c, "subscription_cycle"));
        assertThat(budget(tenant, now.plus(Duration.ofDays(5)))).as("paid again").hasValue(StripeFixtures.PRO_TOKENS);

        applied(StripeFixtures.subscriptionEvent("customer.subscription.updated", t0 + 30, c, "active",
                StripeFixtures.TEAM_PRICE, true));
        assertThat(budget(tenant, now)).as("upgraded").hasValue(StripeFixtures.TEAM_TOKENS);

        applied(StripeFixtures.subscriptionEvent("customer.subscription.deleted", t0 + 40, c, "canceled",
                StripeFixtures.TEAM_PRICE, true));
        assertThat(budget(tenant, now)).as("canceled").hasValue(StripeFixtures.FREE_TOKENS);
    }

    /** A turn on the OpenAI-compatible API with the tenant's key (the fake upstream spends 11 in + 5 out). */
    io.restassured.response.Response turn() {
        return given().header("Authorization", "Bearer " + key).contentType("application/json")
                .accept("application/json").body("{\"model\":\"" + dev.parley.testing.FakeUpstream.MODEL
                        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .post("/v1/chat/completions");
    }

    @Test
    void theChatTurnsOfATenantAreCheckedAgainstItsPlansBudget() {
        dev.parley.testing.FakeUpstream.reset();
        Customer c = Customer.of(tenant);
        applied(created(c, t0, "active", StripeFixtures.PRO_PRICE));
        applied(StripeFixtures.subscriptionEvent("customer.subscription.deleted", t0 + 10, c, "canceled",
                StripeFixtures.PRO_PRICE, true));
        // canceled: the free budget (40 tokens), which three turns of 16 tokens exhaust
        for (int i = 0; i < 3; i++) {
            turn().then().statusCode(200);
        }
        ValidatableResponse refused = problem(turn().then(), 429, "budget-exhausted");
        assertThat(refused.extract().header("Retry-After")).isNotNull();
        assertThat(refused.extract().header("RateLimit-Limit")).isEqualTo(String.valueOf(StripeFixtures.FREE_TOKENS));

        // subscribed again: the plan's budget applies at once on this process
        applied(StripeFixtures.subscriptionEvent("customer.subscription.created", t0 + 20,
                Customer.of(tenant), "active", StripeFixtures.PRO_PRICE, true));
        turn().then().statusCode(200);

        // an admin's lower budget wins over the plan's
        given().header("Authorization", "Bearer " + adminKey).contentType("application/json")
                .body("{\"monthlyTokenBudget\":50}").put("/api/admin/tenants/" + tenant + "/limits").then()
                .statusCode(200);
        ValidatableResponse lower = problem(turn().then(), 429, "budget-exhausted");
        assertThat(lower.extract().header("RateLimit-Limit")).isEqualTo("50");
    }

    @Test
    void aPriceThatIsNoPlanGivesTheFreeBudget() {
        applied(created(Customer.of(tenant), t0, "active", "price_1QnotAPlan0000000000000"));
        assertThat(budget(tenant, Instant.now())).hasValue(StripeFixtures.FREE_TOKENS);
        assertThat(subscriptionOf(tenant).getString("plan")).isNull();
    }

    // --- tenants

    @Test
    void anEventForAnUnknownTenantIsStoredAcknowledgedChangesNothingAndIsListedForAdmins() {
        UUID stranger = UUID.randomUUID();
        Delivery d = created(Customer.of(stranger), t0, "active", StripeFixtures.PRO_PRICE);
        deliver(d).statusCode(200).body("duplicate", equalTo(false));

        List<Map<String, Object>> unmatched = storedEvents(true);
        assertThat(unmatched).filteredOn(e -> d.eventId().equals(e.get("id"))).singleElement()
                .satisfies(e -> assertThat(e).containsEntry("matched", false)
                        .containsEntry("claimedTenant", stranger.toString())
                        .containsEntry("subscriptionId", d.subscriptionId())
                        .containsEntry("type", "customer.subscription.created"));
        given().header("Authorization", "Bearer " + adminKey).get("/api/admin/tenants/" + stranger + "/subscription")
                .then().statusCode(404);
        assertThat(budget(tenant, Instant.now())).isEmpty();
    }

    @Test
    void aCheckoutLinksASubscriptionWhoseEarlierEventsNamedNoTenant() {
        Customer c = Customer.of(tenant);
        Delivery first = StripeFixtures.subscriptionEvent("customer.subscription.created", t0, c, "active",
                StripeFixtures.PRO_PRICE, false);
        applied(first);
        assertThat(storedEventIds(true)).contains(first.eventId());
        given().header("Authorization", "Bearer " + key).get("/api/billing/subscription").then().statusCode(200)
                .body("subscriptionId", nullValue());

        deliver(StripeFixtures.checkoutCompleted(t0 + 1, c, tenant.toString())).statusCode(200)
                .body("outcome", equalTo("linked"));

        JsonPath s = subscriptionOf(tenant);
        assertThat(s.getString("status")).as("state from the event that came before the link").isEqualTo("active");
        assertThat(s.getList("transitions")).hasSize(1);
        assertThat(storedEventIds(true)).doesNotContain(first.eventId());
        assertThat(budget(tenant, Instant.now())).hasValue(StripeFixtures.PRO_TOKENS);
    }

    @Test
    void anEventOfAnOlderApiVersionIsApplied() {
        Customer c = Customer.of(tenant);
        Delivery d = StripeFixtures.oldSubscriptionEvent("customer.subscription.created", t0, c, "trialing",
                StripeFixtures.PRO_PRICE);
        applied(d);
        applied(StripeFixtures.oldInvoiceEvent("invoice.payment_failed", t0 + 5, c, "subscription_cycle"));
        JsonPath s = subscriptionOf(tenant);
        assertThat(s.getString("status")).isEqualTo("past_due");
        assertThat(Instant.parse(s.getString("currentPeriodEnd"))).isEqualTo(Instant.ofEpochSecond(t0 - 3600
                + 30L * 86400));
        assertThat(storedEvents(false)).filteredOn(e -> d.eventId().equals(e.get("id"))).singleElement()
                .satisfies(e -> assertThat(e).containsEntry("apiVersion", StripeFixtures.OLD_API_VERSION));
    }

    @Test
    void anEventTypeParleyDoesNotActOnIsStoredAndAcknowledged() {
        Delivery d = StripeFixtures.customerCreated(t0);
        deliver(d).statusCode(200).body("outcome", equalTo("ignored"));
        assertThat(storedEventIds(false)).contains(d.eventId());
        assertThat(storedEventIds(true)).doesNotContain(d.eventId());
    }

    // --- reading subscriptions

    @Test
    void aTenantReadsItsOwnSubscriptionWithStatusPlanPeriodAndHistory() {
        Customer c = Customer.of(tenant);
        Delivery first = created(c, t0, "incomplete", StripeFixtures.PRO_PRICE);
        Delivery second = updated(c, t0 + 5, "active");
        applied(first);
        applied(second);
        given().header("Authorization", "Bearer " + key).get("/api/billing/subscription").then().statusCode(200)
                .body("tenantId", equalTo(tenant.toString()))
                .body("subscriptionId", equalTo(c.subscriptionId()))
                .body("customerId", equalTo(c.customerId()))
                .body("status", equalTo("active"))
                .body("plan.name", equalTo("pro"))
                .body("plan.price", equalTo(StripeFixtures.PRO_PRICE))
                .body("plan.monthlyTokens", equalTo((int) StripeFixtures.PRO_TOKENS))
                .body("grantsPlan", equalTo(true))
                .body("monthlyTokenBudget", equalTo((int) StripeFixtures.PRO_TOKENS))
                .body("currentPeriodEnd", notNullValue())
                .body("lastEvent.id", equalTo(second.eventId()))
                .body("transitions.from", equalTo(java.util.Arrays.asList(null, "incomplete")))
                .body("transitions.to", equalTo(List.of("incomplete", "active")))
                .body("transitions.eventId", equalTo(List.of(first.eventId(), second.eventId())));
    }

    @Test
    void aTenantWithoutSubscriptionHasNoneAndNoPlanLimit() {
        given().header("Authorization", "Bearer " + key).get("/api/billing/subscription").then().statusCode(200)
                .body("tenantId", equalTo(tenant.toString()))
                .body("subscriptionId", nullValue())
                .body("status", nullValue())
                .body("monthlyTokenBudget", nullValue())
                .body("transitions", equalTo(List.of()));
    }

    @Test
    void theAdminEndpointsNeedAnAdminKey() {
        problem(given().header("Authorization", "Bearer " + key).get("/api/admin/tenants/" + tenant
                + "/subscription").then(), 403, "forbidden");
        problem(given().header("Authorization", "Bearer " + key).get("/api/admin/billing/events").then(), 403,
                "forbidden");
        problem(given().get("/api/billing/subscription").then(), 401, "unauthenticated");
    }

    @Test
    void anUnknownTenantsSubscriptionIs404() {
        problem(given().header("Authorization", "Bearer " + adminKey).get("/api/admin/tenants/" + UUID.randomUUID()
                + "/subscription").then(), 404, "not-found");
    }

    @Test
    void theEventListPagesNewestFirstWithAnOpaqueCursor() {
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Delivery d = created(Customer.of(UUID.randomUUID()), t0 + i, "active", StripeFixtures.PRO_PRICE);
            applied(d);
            sent.add(d.eventId());
        }
        List<Object> seen = new ArrayList<>();
        String cursor = null;
        do {
            var request = given().header("Authorization", "Bearer " + adminKey).queryParam("unmatched", true)
                    .queryParam("limit", 2);
            if (cursor != null) {
                request.queryParam("cursor", cursor);
            }
            JsonPath page = request.get("/api/admin/billing/events").then().statusCode(200).extract().jsonPath();
            assertThat(page.getList("items")).hasSizeLessThanOrEqualTo(2);
            seen.addAll(page.getList("items.id"));
            cursor = page.getString("nextCursor");
        } while (cursor != null);
        Collections.reverse(sent);
        assertThat(seen.stream().filter(sent::contains).toList()).containsExactlyElementsOf(sent);
        assertThat(seen).doesNotHaveDuplicates();
        problem(given().header("Authorization", "Bearer " + adminKey).queryParam("cursor", "garbage!")
                .get("/api/admin/billing/events").then(), 400, "invalid-request");
    }
}
