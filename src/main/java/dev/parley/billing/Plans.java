package dev.parley.billing;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import jakarta.enterprise.context.ApplicationScoped;


import dev.parley.store.Subscription;

/**
 * The configured plans, and the rule that turns a tenant's subscriptions into its monthly token budget:
 * <ul>
 * <li>{@code active} and {@code trialing} grant the plan of the subscription's price;</li>
 * <li>{@code past_due} keeps it for the grace period ({@code PARLEY_BILLING_GRACE}) after it became past due;</li>
 * <li>every other status ({@code unpaid}, {@code canceled}, {@code incomplete_expired}, also {@code incomplete}: the
 * first payment has not succeeded, and {@code paused}: Stripe pauses a trial that ended without a payment method)
 * and a status not known yet grant the free budget ({@code PARLEY_FREE_MONTHLY_TOKENS}), as does a price that no
 * plan names.</li>
 * </ul>
 * A tenant with several subscriptions gets the largest budget any of them grants; a tenant with none has no plan
 * limit at all.
 */
@ApplicationScoped
public class Plans {

    private final Map<String, Plan> byPrice;
    private final long freeMonthlyTokens;
    private final Duration grace;
    /** Why the plan settings are unusable; null when they are fine. */
    private final String problem;

    Plans(BillingSettings settings) {
        this.freeMonthlyTokens = settings.freeMonthlyTokens();
        this.grace = settings.billing().grace();
        Map<String, Plan> plans;
        String invalid = null;
        try {
            plans = read(settings);
        } catch (IllegalArgumentException e) {
            plans = Map.of();
            invalid = e.getMessage();
        }
        this.byPrice = plans;
        this.problem = invalid;
    }

    /**
     * The plans by price.
     *
     * @throws IllegalArgumentException naming the variable when a plan is incomplete, two plans share a price, or a
     *         budget is negative
     */
    static Map<String, Plan> read(BillingSettings settings) {
        if (settings.freeMonthlyTokens() < 0) {
            throw new IllegalArgumentException("PARLEY_FREE_MONTHLY_TOKENS must not be negative");
        }
        Map<String, Plan> byPrice = new HashMap<>();
        for (int n = 1; n <= BillingSettings.MAX_PLANS; n++) {
            BillingSettings.Plan p = settings.plan().get(String.valueOf(n));
            if (p == null || (p.price().isEmpty() && p.monthlyTokens().isEmpty())) {
                continue;
            }
            String var = "PARLEY_PLAN_" + n;
            String price = p.price().map(String::trim).filter(s -> !s.isEmpty()).orElseThrow(
                    () -> new IllegalArgumentException(var + "_MONTHLY_TOKENS is set but " + var + "_PRICE is not"));
            long tokens = p.monthlyTokens().orElseThrow(
                    () -> new IllegalArgumentException(var + "_PRICE is set but " + var + "_MONTHLY_TOKENS is not"));
            if (tokens < 0) {
                throw new IllegalArgumentException(var + "_MONTHLY_TOKENS must not be negative");
            }
            Plan plan = new Plan(n, p.name().orElse("plan-" + n), price, tokens);
            Plan before = byPrice.put(price, plan);
            if (before != null) {
                throw new IllegalArgumentException("PARLEY_PLAN_" + before.number() + "_PRICE and " + var
                        + "_PRICE name the same price " + price);
            }
        }
        return Map.copyOf(byPrice);
    }

    /**
     * Why the plan settings are unusable, if they are: the start-up sequence then stops the server in one line with
     * the configuration exit code, rather than leaving paying tenants on the free budget.
     */
    public Optional<String> misconfiguration() {
        return Optional.ofNullable(problem);
    }

    public Optional<Plan> forPrice(String priceId) {
        return priceId == null ? Optional.empty() : Optional.ofNullable(byPrice.get(priceId));
    }

    boolean isPlanPrice(String priceId) {
        return priceId != null && byPrice.containsKey(priceId);
    }

    public long freeMonthlyTokens() {
        return freeMonthlyTokens;
    }

    /** Whether the subscription grants its plan at {@code now} (see the class comment). */
    public boolean grantsPlan(Subscription s, Instant now) {
        if (s.status() == null) {
            return false;
        }
        return switch (s.status()) {
            case "active", "trialing" -> true;
            case "past_due" -> s.statusSince() != null && now.isBefore(s.statusSince().plus(grace));
            default -> false;
        };
    }

    /** The monthly token budget one subscription grants at {@code now}. */
    public long budget(Subscription s, Instant now) {
        return grantsPlan(s, now) ? forPrice(s.priceId()).map(Plan::monthlyTokens).orElse(freeMonthlyTokens)
                : freeMonthlyTokens;
    }

    /** A tenant's budget from all its subscriptions: empty when it has none, so no plan limit applies. */
    public OptionalLong budget(List<Subscription> subscriptions, Instant now) {
        return subscriptions.stream().mapToLong(s -> budget(s, now)).max();
    }
}
