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

    static SubscriptionTransitionEntity of(SubscriptionTransition t) {
        SubscriptionTransitionEntity e = new SubscriptionTransitionEntity();
        e.id = t.id();
        e.subscriptionId = t.subscriptionId();
        e.tenantId = t.tenantId();
        e.fromStatus = t.fromStatus();
        e.toStatus = t.toStatus();
        e.eventId = t.eventId();
        e.appliedAt = t.appliedAt();
        return e;
    }

    SubscriptionTransition toRecord() {
        return new SubscriptionTransition(id, subscriptionId, tenantId, fromStatus, toStatus, eventId, appliedAt);
    }
}
