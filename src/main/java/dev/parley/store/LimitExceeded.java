package dev.parley.store;

import java.time.Instant;

/**
 * A turn was refused before anything was stored: a tenant's or a key's limit is reached. {@code resetAt} is when the
 * window ends (the next minute, the next month, or soon for concurrency).
 */
public class LimitExceeded extends RuntimeException {

    public enum Kind {
        REQUESTS_PER_MINUTE, TOKENS_PER_MINUTE, CONCURRENT_TURNS, MONTHLY_TOKEN_BUDGET
    }

    private final Kind kind;
    private final String subject;
    private final long limit;
    private final Instant resetAt;

    public LimitExceeded(Kind kind, String subject, long limit, Instant resetAt) {
        super(subject + " " + describe(kind) + " of " + limit + " is reached", null, false, false);
        this.kind = kind;
        this.subject = subject;
        this.limit = limit;
        this.resetAt = resetAt;
    }

    private static String describe(Kind kind) {
        return switch (kind) {
            case REQUESTS_PER_MINUTE -> "limit of requests per minute";
            case TOKENS_PER_MINUTE -> "limit of tokens per minute";
            case CONCURRENT_TURNS -> "limit of concurrent turns";
            case MONTHLY_TOKEN_BUDGET -> "monthly token budget";
        };
    }

    public Kind kind() {
        return kind;
    }

    /** "tenant" or "key". */
    public String subject() {
        return subject;
    }

    public long limit() {
        return limit;
    }

    public Instant resetAt() {
        return resetAt;
    }
}
