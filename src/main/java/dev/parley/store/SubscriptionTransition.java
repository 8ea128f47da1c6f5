package dev.parley.store;

import java.time.Instant;
import java.util.UUID;

/** A change of a subscription's effective status, and the event that caused it (the billing audit trail). */
public record SubscriptionTransition(UUID id, String subscriptionId, UUID tenantId, String fromStatus,
        String toStatus, String eventId, Instant appliedAt) {
}
