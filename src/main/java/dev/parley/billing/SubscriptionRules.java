package dev.parley.billing;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import dev.parley.store.BillingStore;
import dev.parley.store.EventMark;
import dev.parley.store.Subscription;

/**
 * The subscription state machine for one event, run by the store under the subscription's lock.
 *
 * <p>
 * A subscription keeps two registers, each replaced only by an event later than the one it holds (by
 * {@code created}, then id): the newest {@code customer.subscription.*} snapshot (status, price, period end) and the
 * newest invoice outcome. The effective status is the snapshot's, unless the invoice outcome is newer and says more:
 * a failed renewal makes {@code active}/{@code trialing} {@code past_due}, a paid invoice makes
 * {@code past_due}/{@code unpaid}/{@code incomplete} {@code active} (Stripe sends the matching
 * {@code customer.subscription.updated} too, but not always first). Because both registers converge whatever the
 * delivery order, so does the effective status. A checkout completion only links the subscription to its tenant.
 *
 * <p>
 * The tenant link is made once, by the first event that names a tenant Parley knows; later events cannot move a
 * subscription to another tenant.
 */
final class SubscriptionRules implements BillingStore.Rules {

    static final String APPLIED = "applied";
    static final String STALE = "stale";
    static final String LINKED = "linked";
    static final String IGNORED = "ignored";

    private final ParsedEvent event;
    private final Instant now;

    SubscriptionRules(ParsedEvent event, Instant now) {
        this.event = event;
        this.now = now;
    }

    @Override
    public BillingStore.Decision decide(Subscription current, Optional<UUID> knownTenant) {
        UUID tenant = current.tenantId() != null ? current.tenantId() : knownTenant.orElse(null);
        String customer = current.customerId() != null ? current.customerId() : event.customerId();
        EventMark mark = new EventMark(event.created(), event.id());
        String snapshot = current.snapshotStatus();
        EventMark stateMark = current.lastStateEvent();
        String price = current.priceId();
        Instant periodEnd = current.currentPeriodEnd();
        String invoice = current.invoiceOutcome();
        EventMark invoiceMark = current.lastInvoiceEvent();
        String outcome;
        switch (event.kind()) {
            case SUBSCRIPTION -> {
                if (mark.isAfter(stateMark)) {
                    snapshot = event.status();
                    stateMark = mark;
                    price = event.priceId();
                    periodEnd = event.currentPeriodEnd();
                    outcome = APPLIED;
                } else {
                    outcome = STALE;
                }
            }
            case INVOICE -> {
                if (mark.isAfter(invoiceMark)) {
                    invoice = event.invoiceOutcome();
                    invoiceMark = mark;
                    outcome = APPLIED;
                } else {
                    outcome = STALE;
                }
            }
            case CHECKOUT -> outcome = LINKED;
            default -> throw new IllegalStateException("event " + event.id() + " does not concern a subscription");
        }
        String status = effectiveStatus(snapshot, stateMark, invoice, invoiceMark);
        Instant since = Objects.equals(status, current.status()) ? current.statusSince() : event.created();
        Subscription next = new Subscription(current.id(), tenant, customer, status, since, price, periodEnd, snapshot,
                stateMark, invoice, invoiceMark, current.createdAt(), current.updatedAt());
        if (!next.equals(current)) {
            next = new Subscription(next.id(), tenant, customer, status, since, price, periodEnd, snapshot, stateMark,
                    invoice, invoiceMark, next.createdAt(), now);
        }
        return new BillingStore.Decision(next, outcome);
    }

    /** The status the two registers imply (see the class comment); null while neither tells anything. */
    static String effectiveStatus(String snapshot, EventMark snapshotMark, String invoice, EventMark invoiceMark) {
        boolean invoiceIsNewer = invoice != null && (snapshotMark == null || invoiceMark.isAfter(snapshotMark));
        if (!invoiceIsNewer) {
            return snapshot;
        }
        if (snapshot == null) {
            return switch (invoice) {
                case "paid" -> "active";
                case "first_payment_failed" -> "incomplete";
                default -> "past_due";
            };
        }
        return switch (invoice) {
            case "paid" -> switch (snapshot) {
                case "past_due", "unpaid", "incomplete" -> "active";
                default -> snapshot;
            };
            case "payment_failed" -> switch (snapshot) {
                case "active", "trialing" -> "past_due";
                default -> snapshot;
            };
            default -> snapshot; // first_payment_failed: the snapshot already says incomplete, or knows better
        };
    }
}
