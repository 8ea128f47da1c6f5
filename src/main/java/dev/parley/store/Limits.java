package dev.parley.store;

/**
 * What a tenant or a key may spend; each value null for unlimited. {@code tokensPerMinute} and
 * {@code monthlyTokenBudget} count a turn's tokens in plus tokens out, per UTC minute and UTC calendar month.
 */
public record Limits(Long requestsPerMinute, Long tokensPerMinute, Long concurrentTurns, Long monthlyTokenBudget) {

    public static final Limits NONE = new Limits(null, null, null, null);

    public boolean any() {
        return requestsPerMinute != null || tokensPerMinute != null || concurrentTurns != null
                || monthlyTokenBudget != null;
    }

    /** The per-minute counters matter. */
    public boolean perMinute() {
        return requestsPerMinute != null || tokensPerMinute != null;
    }

    /** The same limits with the monthly budget replaced. */
    public Limits withMonthlyTokenBudget(Long budget) {
        return new Limits(requestsPerMinute, tokensPerMinute, concurrentTurns, budget);
    }
}
