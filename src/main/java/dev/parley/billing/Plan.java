package dev.parley.billing;

/** A plan: the Stripe price that buys it and the monthly token budget it grants ({@code PARLEY_PLAN_<n>_*}). */
public record Plan(int number, String name, String priceId, long monthlyTokens) {
}
