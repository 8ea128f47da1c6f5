package dev.parley.store.postgres;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.hibernate.annotations.Immutable;

import dev.parley.store.StripeEvent;

/**
 * A stored Stripe event, read for listings. Events are written only by PgBillingStore's native
 * {@code INSERT ... ON CONFLICT DO NOTHING}; the payload is not mapped, so that listings never load it.
 */
@Entity
@Immutable
@Table(name = "stripe_events")
class StripeEventEntity {
    @Id
    @Column(name = "event_id")
    String id;
    String type;
    @Column(name = "api_version")
    String apiVersion;
    boolean livemode;
    @Column(name = "created_at")
    Instant createdAt;
    @Column(name = "received_at")
    Instant receivedAt;
    @Column(name = "subscription_id")
    String subscriptionId;
    @Column(name = "customer_id")
    String customerId;
    @Column(name = "claimed_tenant")
    String claimedTenant;
    @Column(name = "tenant_id")
    UUID tenantId;
    String outcome;

    StripeEvent toRecord() {
        return new StripeEvent(id, type, apiVersion, livemode, createdAt, receivedAt, subscriptionId, customerId,
                claimedTenant, tenantId, outcome, null);
    }
}
