package dev.parley.store.postgres;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import dev.parley.store.SubscriptionTransition;

@Entity
@Table(name = "billing_transitions")
class SubscriptionTransitionEntity {
    @Id
    UUID id;
    @Column(name = "subscription_id")
    String subscriptionId;
    @Column(name = "tenant_id")
    UUID tenantId;
    @Column(name = "from_status")
    String fromStatus;
    @Column(name = "to_status")
    String toStatus;
    @Column(name = "event_id")
    String eventId;
    @Column(name = "applied_at")
    Instant appliedAt;

    SubscriptionTransition toRecord() {
        return new SubscriptionTransition(id, subscriptionId, tenantId, fromStatus, toStatus, eventId, appliedAt);
    }
}
