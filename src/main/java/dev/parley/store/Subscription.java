package dev.parley.store;

import java.time.Instant;
import java.util.UUID;

/**
 * One Stripe subscription as Parley last applied it.
 *
 * @param id Stripe's subscription id ({@code sub_...})
 * @param tenantId the Parley tenant it belongs to; null until an event links it to a known tenant
 * @param status the effective status (Stripe's vocabulary: {@code active}, {@code past_due}, ...); null until an event
 *        tells it
 * @param statusSince {@code created} of the event that moved it into {@code status}
 * @param snapshotStatus the status of the newest subscription snapshot applied (a {@code customer.subscription.*}
 *        event), at {@code lastStateEvent}
 * @param invoiceOutcome the newest invoice outcome applied ({@code paid}, {@code payment_failed},
 *        {@code first_payment_failed}), at {@code lastInvoiceEvent}
 */
public record Subscription(String id, UUID tenantId, String customerId, String status, Instant statusSince,
        String priceId, Instant currentPeriodEnd, String snapshotStatus, EventMark lastStateEvent,
        String invoiceOutcome, EventMark lastInvoiceEvent, Instant createdAt, Instant updatedAt) {

    /** The row a subscription starts as, before any event has been applied to it. */
    public static Subscription blank(String id, Instant now) {
        return new Subscription(id, null, null, null, null, null, null, null, null, null, null, now, now);
    }

    /** The newest event applied to it, of either kind; null when none was. */
    public EventMark lastEvent() {
        if (lastStateEvent == null) {
            return lastInvoiceEvent;
        }
        return lastStateEvent.isAfter(lastInvoiceEvent) ? lastStateEvent : lastInvoiceEvent;
    }
}
