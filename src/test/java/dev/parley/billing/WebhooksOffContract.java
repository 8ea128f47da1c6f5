package dev.parley.billing;

import static dev.parley.testing.Await.result;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.time.Instant;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.parley.billing.StripeFixtures.Customer;
import dev.parley.billing.StripeFixtures.Delivery;

/** Without {@code PARLEY_STRIPE_WEBHOOK_SECRET} there is no webhook and no plan limit. Run on both backends. */
public abstract class WebhooksOffContract {

    @Inject
    Entitlements entitlements;

    @Test
    void theWebhookPathAnswers404WithoutASecret() {
        Delivery d = StripeFixtures.subscriptionEvent("customer.subscription.created", Instant.now().getEpochSecond(),
                Customer.of(UUID.randomUUID()), "active", StripeFixtures.PRO_PRICE, true);
        given().contentType("application/json").header("Stripe-Signature", StripeFixtures.signature(d.payload()))
                .body(d.payload()).post("/webhooks/stripe").then()
                .statusCode(404).contentType("application/problem+json")
                .body("type", equalTo("https://parley.dev/problems/not-found"))
                .body("detail", equalTo("no Stripe webhook is configured here (PARLEY_STRIPE_WEBHOOK_SECRET)"));
    }

    @Test
    void noTenantHasAPlanLimitWhenBillingIsOff() {
        assertThat(result(entitlements.monthlyTokenBudget(UUID.randomUUID(), Instant.now()))).isEmpty();
    }
}
