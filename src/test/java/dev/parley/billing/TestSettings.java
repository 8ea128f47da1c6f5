package dev.parley.billing;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** {@link BillingSettings} built by SmallRye Config from environment variables, as the server reads them. */
final class TestSettings {

    private TestSettings() {
    }

    /** The plans the tests use (pro, team), the free budget, both webhook secrets, plus {@code extra} variables. */
    static Map<String, String> standardEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put("PARLEY_STRIPE_WEBHOOK_SECRET", StripeFixtures.SECRET + ", " + StripeFixtures.PREVIOUS_SECRET);
        env.put("PARLEY_PLAN_1_PRICE", StripeFixtures.PRO_PRICE);
        env.put("PARLEY_PLAN_1_MONTHLY_TOKENS", String.valueOf(StripeFixtures.PRO_TOKENS));
        env.put("PARLEY_PLAN_1_NAME", "pro");
        env.put("PARLEY_PLAN_2_PRICE", StripeFixtures.TEAM_PRICE);
        env.put("PARLEY_PLAN_2_MONTHLY_TOKENS", String.valueOf(StripeFixtures.TEAM_TOKENS));
        env.put("PARLEY_FREE_MONTHLY_TOKENS", String.valueOf(StripeFixtures.FREE_TOKENS));
        return env;
    }

    static BillingSettings fromEnvironment(Map<String, String> env) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withSources(new EnvConfigSource(env, 300))
                .withConverter(Duration.class, 200, new DurationConverter())
                .withMapping(BillingSettings.class)
                .build();
        return config.getConfigMapping(BillingSettings.class);
    }

    static BillingSettings standard() {
        return fromEnvironment(standardEnvironment());
    }
}
