package dev.parley.billing;

/** A webhook request that is not a verified, readable Stripe event: answered with 400, nothing stored. */
public class WebhookRejected extends RuntimeException {

    private final String slug;

    private WebhookRejected(String slug, String detail) {
        super(detail, null, false, false);
        this.slug = slug;
    }

    /** Missing, unreadable, wrong or stale {@code Stripe-Signature}. */
    static WebhookRejected signature(String detail) {
        return new WebhookRejected("invalid-signature", detail);
    }

    /** Correctly signed, but not a Stripe event Parley can read. */
    static WebhookRejected malformed(String detail) {
        return new WebhookRejected("malformed-event", detail);
    }

    /** The problem type's last segment. */
    public String slug() {
        return slug;
    }
}
