package dev.parley.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.parley.store.Subscription;

/** Plans from PARLEY_PLAN_n_* and the rule that turns subscriptions into a monthly token budget. */
class PlansTest {

    private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
    private final Plans plans = new Plans(TestSettings.standard());

    private static Subscription subscription(String status, String price, Instant since) {
        return new Subscription("sub_x", UUID.randomUUID(), "cus_x", status, since, price, NOW.plusSeconds(86400),
                status, null, null, null, since, since);
    }

    @Test
    void numberedEnvironmentVariablesDefineThePlans() {
        assertThat(plans.forPrice(StripeFixtures.PRO_PRICE)).get()
                .isEqualTo(new Plan(1, "pro", StripeFixtures.PRO_PRICE, StripeFixtures.PRO_TOKENS));
        assertThat(plans.forPrice(StripeFixtures.TEAM_PRICE)).get()
                .isEqualTo(new Plan(2, "plan-2", StripeFixtures.TEAM_PRICE, StripeFixtures.TEAM_TOKENS));
        assertThat(plans.forPrice("price_unknown")).isEmpty();
    }

    @Test
    void theDefaultsAreThreeDaysOfGraceAndNoFreeTokens() {
        BillingSettings defaults = TestSettings.fromEnvironment(Map.of());
        assertThat(defaults.billing().grace()).isEqualTo(Duration.ofDays(3));
        assertThat(defaults.stripe().webhookTolerance()).isEqualTo(Duration.ofSeconds(300));
        assertThat(defaults.freeMonthlyTokens()).isZero();
        assertThat(defaults.webhookSecrets()).isEmpty();
    }

    @Test
    void severalCommaSeparatedWebhookSecretsAreAllAccepted() {
        assertThat(TestSettings.standard().webhookSecrets())
                .containsExactly(StripeFixtures.SECRET, StripeFixtures.PREVIOUS_SECRET);
    }

    @Test
    void activeAndTrialingGrantThePlansBudget() {
        assertThat(plans.budget(subscription("active", StripeFixtures.PRO_PRICE, NOW), NOW))
                .isEqualTo(StripeFixtures.PRO_TOKENS);
        assertThat(plans.budget(subscription("trialing", StripeFixtures.TEAM_PRICE, NOW), NOW))
                .isEqualTo(StripeFixtures.TEAM_TOKENS);
    }

    @Test
    void pastDueKeepsThePlanForTheGracePeriodThenFallsBackToFree() {
        Subscription pastDue = subscription("past_due", StripeFixtures.PRO_PRICE, NOW);
        assertThat(plans.budget(pastDue, NOW.plus(Duration.ofDays(3)).minusSeconds(1)))
                .isEqualTo(StripeFixtures.PRO_TOKENS);
        assertThat(plans.budget(pastDue, NOW.plus(Duration.ofDays(3)))).isEqualTo(StripeFixtures.FREE_TOKENS);
    }

    @Test
    void everyOtherStatusGrantsTheFreeBudget() {
        for (String status : List.of("unpaid", "canceled", "incomplete_expired", "incomplete", "paused")) {
            assertThat(plans.budget(subscription(status, StripeFixtures.PRO_PRICE, NOW), NOW)).as(status)
                    .isEqualTo(StripeFixtures.FREE_TOKENS);
        }
        assertThat(plans.budget(subscription(null, StripeFixtures.PRO_PRICE, NOW), NOW)).as("status not known yet")
                .isEqualTo(StripeFixtures.FREE_TOKENS);
    }

    @Test
    void aPriceThatNoPlanNamesGrantsTheFreeBudget() {
        assertThat(plans.budget(subscription("active", "price_someOtherProduct", NOW), NOW))
                .isEqualTo(StripeFixtures.FREE_TOKENS);
    }

    @Test
    void aTenantWithoutSubscriptionsHasNoPlanLimitAndOneWithSeveralGetsTheLargest() {
        assertThat(plans.budget(List.of(), NOW)).isEqualTo(OptionalLong.empty());
        assertThat(plans.budget(List.of(subscription("canceled", StripeFixtures.TEAM_PRICE, NOW),
                subscription("active", StripeFixtures.PRO_PRICE, NOW)), NOW))
                .isEqualTo(OptionalLong.of(StripeFixtures.PRO_TOKENS));
    }

    @Test
    void aPlanWithAPriceButNoBudgetIsRefused() {
        Map<String, String> env = new java.util.HashMap<>(TestSettings.standardEnvironment());
        env.put("PARLEY_PLAN_3_PRICE", "price_incomplete");
        assertThatThrownBy(() -> Plans.read(TestSettings.fromEnvironment(env)))
                .hasMessage("PARLEY_PLAN_3_PRICE is set but PARLEY_PLAN_3_MONTHLY_TOKENS is not");
    }

    @Test
    void twoPlansWithTheSamePriceAreRefused() {
        Map<String, String> env = new java.util.HashMap<>(TestSettings.standardEnvironment());
        env.put("PARLEY_PLAN_7_PRICE", StripeFixtures.PRO_PRICE);
        env.put("PARLEY_PLAN_7_MONTHLY_TOKENS", "5");
        assertThatThrownBy(() -> Plans.read(TestSettings.fromEnvironment(env)))
                .hasMessageContaining("PARLEY_PLAN_1_PRICE and PARLEY_PLAN_7_PRICE name the same price");
    }
}
