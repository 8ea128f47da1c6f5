package dev.parley.billing;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import dev.parley.billing.StripeFixtures.Customer;
import dev.parley.billing.StripeFixtures.Delivery;
import dev.parley.testing.ParleyProcess;
import dev.parley.testing.TestPostgres;
import io.vertx.core.json.JsonObject;

/**
 * Three packaged replicas on one PostgreSQL database, as behind a load balancer: the same Stripe events, each
 * delivered many times to all three at once, are stored once and applied once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StripeWebhookReplicasIT {

    private static final String KEY = "billing-replica-admin-key-0123";
    private static final Duration START = Duration.ofSeconds(90);
    private static final int REPLICAS = 3;
    private static final int COPIES = 50;

    @TempDir
    static Path dir;

    private String databaseUrl;
    private final List<ParleyProcess> replicas = new ArrayList<>();

    @BeforeAll
    void startThreeReplicas() throws Exception {
        databaseUrl = TestPostgres.newDatabase();
        Map<String, String> env = new HashMap<>(TestSettings.standardEnvironment());
        env.put("DATABASE_URL", databaseUrl);
        env.put("PARLEY_BOOTSTRAP_API_KEY", KEY);
        for (int i = 0; i < REPLICAS; i++) {
            replicas.add(ParleyProcess.start(dir, env));
        }
        for (ParleyProcess replica : replicas) {
            replica.awaitOk("/q/health/ready", START);
        }
    }

    @AfterAll
    void stopReplicas() throws Exception {
        for (ParleyProcess replica : replicas) {
            replica.close();
        }
    }

    private String createTenant(ParleyProcess replica) {
        return given().port(replica.port).header("Authorization", "Bearer " + KEY).contentType("application/json")
                .body("{\"name\":\"replica-billing-" + System.nanoTime() + "\"}").post("/api/admin/tenants").then()
                .statusCode(201).extract().path("tenant.id");
    }

    private record Answer(String eventId, int status, boolean duplicate) {
    }

    @Test
    void theSameEventsDeliveredToEveryReplicaAtOnceAreAppliedExactlyOnce() throws Exception {
        long t0 = System.currentTimeMillis() / 1000 - 3600;
        List<Customer> customers = new ArrayList<>();
        List<Delivery> events = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Customer c = Customer.of(createTenant(replicas.get(i % REPLICAS)));
            customers.add(c);
            events.add(StripeFixtures.subscriptionEvent("customer.subscription.created", t0, c, "incomplete",
                    StripeFixtures.PRO_PRICE, true));
            events.add(StripeFixtures.invoiceEvent("invoice.paid", t0 + 1, c, "subscription_create"));
            events.add(StripeFixtures.subscriptionEvent("customer.subscription.updated", t0 + 2, c, "active",
                    StripeFixtures.PRO_PRICE, true));
            events.add(StripeFixtures.invoiceEvent("invoice.payment_failed", t0 + 50, c, "subscription_cycle"));
            events.add(StripeFixtures.subscriptionEvent("customer.subscription.updated", t0 + 51, c, "past_due",
                    StripeFixtures.PRO_PRICE, true));
        }
        List<Delivery> copies = new ArrayList<>();
        for (Delivery d : events) {
            copies.addAll(Collections.nCopies(COPIES, d));
        }
        Collections.shuffle(copies, new Random(3));

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ExecutorService pool = Executors.newFixedThreadPool(150);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Answer>> running = new ArrayList<>();
        try {
            for (int i = 0; i < copies.size(); i++) {
                Delivery d = copies.get(i);
                ParleyProcess replica = replicas.get(i % REPLICAS);
                Callable<Answer> call = () -> {
                    go.await();
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:"
                            + replica.port + "/webhooks/stripe"))
                            .header("Content-Type", "application/json; charset=utf-8")
                            .header("Stripe-Signature", StripeFixtures.signature(d.payload()))
                            .POST(HttpRequest.BodyPublishers.ofString(d.payload())).build(),
                            HttpResponse.BodyHandlers.ofString());
                    return new Answer(d.eventId(), r.statusCode(), r.statusCode() == 200
                            && new JsonObject(r.body()).getBoolean("duplicate"));
                };
                running.add(pool.submit(call));
            }
            go.countDown();
            List<Answer> answers = new ArrayList<>();
            for (Future<Answer> f : running) {
                answers.add(f.get(180, TimeUnit.SECONDS));
            }
            assertThat(answers).hasSize(events.size() * COPIES).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
            Map<String, Integer> firstDeliveries = new HashMap<>();
            answers.stream().filter(a -> !a.duplicate()).forEach(a -> firstDeliveries.merge(a.eventId(), 1,
                    Integer::sum));
            assertThat(firstDeliveries).hasSize(events.size()).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
        } finally {
            pool.shutdownNow();
        }

        try (Connection c = TestPostgres.connect(databaseUrl); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM stripe_events")) {
                rs.next();
                assertThat(rs.getLong(1)).as("stored events").isEqualTo(events.size());
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM (SELECT event_id FROM billing_transitions "
                    + "GROUP BY event_id HAVING count(*) > 1) twice")) {
                rs.next();
                assertThat(rs.getLong(1)).as("events that caused more than one transition").isZero();
            }
            for (Customer customer : customers) {
                List<String[]> chain = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT from_status, to_status FROM "
                        + "billing_transitions WHERE subscription_id = ? ORDER BY applied_at, id")) {
                    ps.setString(1, customer.subscriptionId());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            chain.add(new String[] { rs.getString(1), rs.getString(2) });
                        }
                    }
                }
                String previous = null;
                for (String[] t : chain) {
                    assertThat(t[0]).as("each transition starts where the previous ended").isEqualTo(previous);
                    previous = t[1];
                }
                assertThat(previous).isEqualTo("past_due");
                for (ParleyProcess replica : replicas) {
                    assertThat((String) given().port(replica.port).header("Authorization", "Bearer " + KEY)
                            .get("/api/admin/tenants/" + customer.tenantId() + "/subscription").then().statusCode(200)
                            .extract().path("status")).isEqualTo("past_due");
                }
            }
        }
        for (ParleyProcess replica : replicas) {
            assertThat(replica.output()).as("no stack trace in any replica's log").doesNotContain("\tat ");
        }
    }
}
