package dev.parley.billing;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithKeys;

/**
 * Billing settings: the Stripe webhook ({@code PARLEY_STRIPE_*}), the numbered plans ({@code PARLEY_PLAN_<n>_*}),
 * the grace period and free budget ({@code PARLEY_BILLING_*}, {@code PARLEY_FREE_MONTHLY_TOKENS}).
 */
@ConfigMapping(prefix = "parley")
public interface BillingSettings {

    int MAX_PLANS = 32;

    Stripe stripe();

    Billing billing();

    /**
     * Plan {@code n} = 1, 2, ... {@link #MAX_PLANS}. The keys are listed so that {@code PARLEY_PLAN_1_PRICE} maps to
     * {@code parley.plan.1.price}: an environment variable name alone cannot say where a map key ends.
     */
    @WithKeys(Numbers.class)
    Map<String, Plan> plan();

    /** The monthly token budget of a tenant whose subscription grants no plan (canceled, unpaid, ...). */
    @WithDefault("0")
    long freeMonthlyTokens();

    interface Stripe {
        /**
         * The endpoint's signing secret(s) ({@code whsec_...}), comma-separated: while a secret is rotated both are
         * accepted. Unset: the webhook path answers 404 and billing is off.
         */
        Optional<String> webhookSecret();

        /** How old a signature's timestamp may be (Stripe's default). */
        @WithDefault("300s")
        Duration webhookTolerance();
    }

    interface Billing {
        /** How long a {@code past_due} subscription keeps its plan's budget. */
        @WithDefault("3d")
        Duration grace();

        /** How long a tenant's subscriptions are remembered for budget checks (changes on this process apply at once). */
        @WithDefault("30s")
        Duration cacheTtl();
    }

    interface Plan {
        /** The Stripe price id ({@code price_...}) a subscription carries; unset: no plan n. */
        Optional<String> price();

        /** Tokens in plus tokens out per UTC calendar month that the plan grants. */
        Optional<Long> monthlyTokens();

        /** Shown in the API; {@code plan-<n>} when unset. */
        Optional<String> name();
    }

    /** The webhook secrets, trimmed, without empty entries. */
    default List<String> webhookSecrets() {
        return stripe().webhookSecret().stream().flatMap(s -> java.util.Arrays.stream(s.split(",")))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** The plan numbers 1 to {@link #MAX_PLANS}. */
    final class Numbers implements Supplier<Iterable<String>> {
        @Override
        public Iterable<String> get() {
            return IntStream.rangeClosed(1, MAX_PLANS).mapToObj(String::valueOf).toList();
        }
    }
}
