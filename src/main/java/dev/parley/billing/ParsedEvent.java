package dev.parley.billing;

import java.time.Instant;

/**
 * What Parley reads from a Stripe event, whatever its API version.
 *
 * @param subscriptionId the subscription it concerns; null for {@link Kind#IGNORED} events
 * @param claimedTenant {@code metadata.parley_tenant_id} of the subscription, or a checkout's
 *        {@code client_reference_id}, as sent
 * @param status for {@link Kind#SUBSCRIPTION}: the subscription's status
 * @param priceId for {@link Kind#SUBSCRIPTION}: the plan's price (the first item whose price is a plan, else the first)
 * @param invoiceOutcome for {@link Kind#INVOICE}: {@code paid}, {@code payment_failed}, or
 *        {@code first_payment_failed} (the invoice that creates the subscription failed)
 */
record ParsedEvent(String id, String type, String apiVersion, boolean livemode, Instant created, Kind kind,
        String subscriptionId, String customerId, String claimedTenant, String status, String priceId,
        Instant currentPeriodEnd, String invoiceOutcome) {

    enum Kind {
        /** {@code customer.subscription.created|updated|deleted|paused|resumed}: a snapshot of the subscription. */
        SUBSCRIPTION,
        /** {@code invoice.paid}, {@code invoice.payment_failed} of a subscription's invoice. */
        INVOICE,
        /** {@code checkout.session.completed} in subscription mode: links the subscription to a tenant. */
        CHECKOUT,
        /** Anything else: stored, acknowledged, not applied. */
        IGNORED
    }
}
