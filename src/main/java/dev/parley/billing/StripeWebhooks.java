package dev.parley.billing;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.stripe.exception.SignatureVerificationException;
import com.stripe.model.Event;
import com.stripe.net.Webhook;

import dev.parley.store.BillingStore;
import dev.parley.store.StripeEvent;
import dev.parley.store.Subscription;
import dev.parley.store.Timestamps;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Receives Stripe webhooks: verifies the signature with Stripe's library against each configured secret, reads the
 * event, and stores and applies it exactly once ({@link BillingStore#receive}). Neither the secrets nor payloads are
 * ever logged; a rejection says why without echoing what was sent.
 */
@ApplicationScoped
public class StripeWebhooks {

    private static final Logger LOG = Logger.getLogger(StripeWebhooks.class);
    /** Strict JSON, as both databases will store it; Stripe's own parser is lenient. */
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a delivery did; {@code outcome} is null for a duplicate. */
    public record Receipt(String eventId, String type, boolean duplicate, String outcome) {
    }

    private final BillingStore store;
    private final Plans plans;
    private final Entitlements entitlements;
    private final List<String> secrets;
    private final long toleranceSeconds;

    StripeWebhooks(BillingStore store, Plans plans, Entitlements entitlements, BillingSettings settings) {
        this.store = store;
        this.plans = plans;
        this.entitlements = entitlements;
        this.secrets = settings.webhookSecrets();
        this.toleranceSeconds = settings.stripe().webhookTolerance().toSeconds();
    }

    /** False without {@code PARLEY_STRIPE_WEBHOOK_SECRET}: then there is no webhook endpoint. */
    public boolean enabled() {
        return !secrets.isEmpty();
    }

    /**
     * Verifies, reads, stores and applies one delivery.
     *
     * @return the receipt, or a failure with {@link WebhookRejected} (before anything is stored) when the signature is
     *         missing, wrong or stale, or the payload is not a readable Stripe event
     */
    public Uni<Receipt> receive(String payload, String signatureHeader) {
        return offTheEventLoop(() -> read(payload, signatureHeader)).chain(parsed -> apply(parsed, payload));
    }

    /** The delivery verified and read, or {@link WebhookRejected}. */
    private ParsedEvent read(String payload, String signatureHeader) {
        Event event = verify(payload, signatureHeader);
        JsonNode raw;
        try {
            raw = JSON.readTree(payload);
        } catch (JsonProcessingException e) {
            throw WebhookRejected.malformed("the payload is not valid JSON");
        }
        return StripeEventParser.parse(event, raw, plans::isPlanPrice);
    }

    /**
     * {@code work} on a worker thread when called on a Vert.x event loop, the result back on that loop (and its
     * context, which the stores' reactive clients need); called elsewhere, right here. Reading an event is Stripe's
     * library's work: an HMAC per configured secret and Gson's reflective parse, and the first event of a process
     * also loads and links the classes of Stripe's model that it touches. On the event loop that first event held
     * every request of the loop for 2.6 s on a slow 2-core machine (Vert.x's blocked-thread warning, in the
     * three-replica webhook test).
     */
    static <T> Uni<T> offTheEventLoop(Supplier<T> work) {
        Context context = Vertx.currentContext();
        if (context == null || !Context.isOnEventLoopThread()) {
            return Uni.createFrom().item(work);
        }
        return Uni.createFrom().completionStage(() -> context.executeBlocking(work::get, false).toCompletionStage());
    }

    private Uni<Receipt> apply(ParsedEvent parsed, String payload) {
        var now = Timestamps.now();
        StripeEvent record = new StripeEvent(parsed.id(), parsed.type(), parsed.apiVersion(), parsed.livemode(),
                parsed.created(), now, parsed.subscriptionId(), parsed.customerId(), parsed.claimedTenant(), null,
                parsed.kind() == ParsedEvent.Kind.IGNORED ? SubscriptionRules.IGNORED : null, payload);
        return store.receive(record, tenantId(parsed.claimedTenant()), new SubscriptionRules(parsed, now))
                .invoke(this::committed)
                .map(r -> new Receipt(parsed.id(), parsed.type(), r.duplicate(),
                        r.duplicate() ? null : r.stored().outcome()));
    }

    private Event verify(String payload, String header) {
        if (header == null || header.isBlank()) {
            throw rejected(WebhookRejected.signature("the Stripe-Signature header is missing"));
        }
        SignatureVerificationException failure = null;
        for (String secret : secrets) {
            try {
                Webhook.Signature.verifyHeader(payload, header, secret, toleranceSeconds);
            } catch (SignatureVerificationException e) {
                // a stale timestamp is only reported once a secret matched, so it is the most telling failure
                if (failure == null || isStale(e)) {
                    failure = e;
                }
                continue;
            } catch (RuntimeException e) {
                throw rejected(WebhookRejected.signature("the Stripe-Signature header cannot be read"));
            }
            try {
                return Webhook.constructEvent(payload, header, secret, toleranceSeconds);
            } catch (SignatureVerificationException e) {
                throw rejected(WebhookRejected.signature(describe(e))); // went stale in between
            } catch (RuntimeException e) {
                // the signature matched, the library could not read the event
                throw rejected(WebhookRejected.malformed("the payload is not a Stripe event"));
            }
        }
        throw rejected(WebhookRejected.signature(describe(failure)));
    }

    private String describe(SignatureVerificationException e) {
        String message = String.valueOf(e == null ? null : e.getMessage());
        if (isStale(e)) {
            return "the signature's timestamp is more than " + toleranceSeconds + " s old (or unreadable)";
        }
        if (message.contains("extract timestamp") || message.contains("expected scheme")) {
            return "the Stripe-Signature header has no timestamp or no v1 signature";
        }
        return "no v1 signature in the Stripe-Signature header matches this payload for a configured secret";
    }

    private static boolean isStale(SignatureVerificationException e) {
        return e != null && String.valueOf(e.getMessage()).contains("tolerance");
    }

    private static WebhookRejected rejected(WebhookRejected e) {
        LOG.warnf("Rejected a Stripe webhook: %s", e.getMessage());
        return e;
    }

    private static Optional<UUID> tenantId(String claimed) {
        if (claimed == null || claimed.length() != 36) {
            return Optional.empty();
        }
        try {
            return Optional.of(UUID.fromString(claimed));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** After the commit: budgets see the change at once, and the log has one line per new event. */
    private void committed(BillingStore.Receipt r) {
        StripeEvent e = r.stored();
        if (r.duplicate()) {
            LOG.debugf("Stripe event %s (%s) was already received; nothing changed", e.id(), e.type());
            return;
        }
        Subscription before = r.before();
        Subscription after = r.after();
        if (after == null) {
            LOG.infof("Stripe event %s (%s) stored, not applied (%s)", e.id(), e.type(), e.outcome());
            return;
        }
        if (before.tenantId() != null) {
            entitlements.invalidate(before.tenantId());
        }
        if (after.tenantId() != null) {
            entitlements.invalidate(after.tenantId());
        }
        LOG.infof("Stripe event %s (%s) for subscription %s of tenant %s: %s; status %s%s", e.id(), e.type(),
                after.id(), after.tenantId() == null ? "(none known)" : after.tenantId(), e.outcome(),
                r.statusChanged() ? before.status() + " -> " + after.status() : after.status() + " (unchanged)",
                after.tenantId() != null && before.tenantId() == null ? "; subscription now linked to the tenant"
                        : "");
    }
}
