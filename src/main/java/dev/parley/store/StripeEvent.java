package dev.parley.store;

import java.time.Instant;
import java.util.UUID;

/**
 * A verified Stripe webhook event as Parley keeps it: what Stripe said (id, type, API version, {@code created},
 * the subscription and customer it concerns, the Parley tenant it names) and what Parley did with it.
 *
 * @param claimedTenant the tenant reference the event carries ({@code metadata.parley_tenant_id} or a checkout's
 *        {@code client_reference_id}), as sent; kept so that an admin can see why an event matched no tenant
 * @param tenantId the Parley tenant the event was matched to; null when none (yet)
 * @param outcome {@code applied}, {@code stale}, {@code linked} or {@code ignored} (see the billing package)
 * @param payload the event's JSON as received; null in listings, which do not load it
 */
public record StripeEvent(String id, String type, String apiVersion, boolean livemode, Instant createdAt,
        Instant receivedAt, String subscriptionId, String customerId, String claimedTenant, UUID tenantId,
        String outcome, String payload) {

    public EventMark mark() {
        return new EventMark(createdAt, id);
    }

    public StripeEvent matched(UUID tenant, String newOutcome) {
        return new StripeEvent(id, type, apiVersion, livemode, createdAt, receivedAt, subscriptionId, customerId,
                claimedTenant, tenant, newOutcome, payload);
    }
}
