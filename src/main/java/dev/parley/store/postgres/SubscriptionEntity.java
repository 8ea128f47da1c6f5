package dev.parley.store.postgres;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import dev.parley.store.EventMark;
import dev.parley.store.Subscription;

@Entity
@Table(name = "billing_subscriptions")
class SubscriptionEntity {
    @Id
    String id;
    @Column(name = "tenant_id")
    UUID tenantId;
    @Column(name = "customer_id")
    String customerId;
    String status;
    @Column(name = "status_since")
    Instant statusSince;
    @Column(name = "price_id")
    String priceId;
    @Column(name = "current_period_end")
    Instant currentPeriodEnd;
    @Column(name = "snapshot_status")
    String snapshotStatus;
    @Column(name = "last_state_event_created")
    Instant lastStateEventCreated;
    @Column(name = "last_state_event_id")
    String lastStateEventId;
    @Column(name = "invoice_outcome")
    String invoiceOutcome;
    @Column(name = "last_invoice_event_created")
    Instant lastInvoiceEventCreated;
    @Column(name = "last_invoice_event_id")
    String lastInvoiceEventId;
    @Column(name = "created_at")
    Instant createdAt;
    @Column(name = "updated_at")
    Instant updatedAt;

    /** Takes every field of {@code s} except the id and the creation time, which never change. */
    void assign(Subscription s) {
        tenantId = s.tenantId();
        customerId = s.customerId();
        status = s.status();
        statusSince = s.statusSince();
        priceId = s.priceId();
        currentPeriodEnd = s.currentPeriodEnd();
        snapshotStatus = s.snapshotStatus();
        lastStateEventCreated = s.lastStateEvent() == null ? null : s.lastStateEvent().created();
        lastStateEventId = s.lastStateEvent() == null ? null : s.lastStateEvent().eventId();
        invoiceOutcome = s.invoiceOutcome();
        lastInvoiceEventCreated = s.lastInvoiceEvent() == null ? null : s.lastInvoiceEvent().created();
        lastInvoiceEventId = s.lastInvoiceEvent() == null ? null : s.lastInvoiceEvent().eventId();
        updatedAt = s.updatedAt();
    }

    Subscription toRecord() {
        return new Subscription(id, tenantId, customerId, status, statusSince, priceId, currentPeriodEnd,
                snapshotStatus, EventMark.of(lastStateEventCreated, lastStateEventId), invoiceOutcome,
                EventMark.of(lastInvoiceEventCreated, lastInvoiceEventId), createdAt, updatedAt);
    }
}
