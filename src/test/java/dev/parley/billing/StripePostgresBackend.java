package dev.parley.billing;

import java.util.Map;

import dev.parley.testing.PostgresBackend;

/** PostgreSQL with billing configured: both webhook secrets, the pro and team plans, a free budget. */
public class StripePostgresBackend extends PostgresBackend {

    static final Map<String, String> BILLING = Map.of(
            "parley.stripe.webhook-secret", StripeFixtures.SECRET + "," + StripeFixtures.PREVIOUS_SECRET,
            "parley.plan.1.price", StripeFixtures.PRO_PRICE,
            "parley.plan.1.monthly-tokens", String.valueOf(StripeFixtures.PRO_TOKENS),
            "parley.plan.1.name", "pro",
            "parley.plan.2.price", StripeFixtures.TEAM_PRICE,
            "parley.plan.2.monthly-tokens", String.valueOf(StripeFixtures.TEAM_TOKENS),
            "parley.free-monthly-tokens", String.valueOf(StripeFixtures.FREE_TOKENS));

    @Override
    public Map<String, String> getConfigOverrides() {
        return BILLING;
    }
}
