package dev.parley.store.postgres;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import org.hibernate.reactive.mutiny.Mutiny;

import dev.parley.store.BillingStore;
import dev.parley.store.StripeEvent;
import dev.parley.store.Subscription;
import dev.parley.store.SubscriptionTransition;
import dev.parley.store.TextCursor;
import dev.parley.store.Timestamps;
import dev.parley.store.UuidV7;
import io.smallrye.mutiny.Uni;

/**
 * Billing on PostgreSQL. {@link #receive} is one transaction that takes the subscription's row with
 * {@code SELECT ... FOR UPDATE} (inserting it first if missing) before it inserts the event: concurrent deliveries
 * concerning one subscription, on any replica, queue on that lock, and the event's primary key lets exactly one of
 * its copies through.
 */
@ApplicationScoped
@Typed(PgBillingStore.class)
public class PgBillingStore implements BillingStore {

    private static final String INSERT_EVENT = "INSERT INTO stripe_events (event_id, type, api_version, livemode, "
            + "created_at, received_at, subscription_id, customer_id, claimed_tenant, tenant_id, outcome, payload) "
            + "VALUES (:id, :type, :apiVersion, :livemode, :created, :received, :subscription, :customer, :claimed, "
            + ":tenant, :outcome, cast(:payload as jsonb)) ON CONFLICT (event_id) DO NOTHING RETURNING event_id";

    private final PgSessions sessions;

    PgBillingStore(PgSessions sessions) {
        this.sessions = sessions;
    }

    /**
     * Round trips are what a burst of deliveries queues on (each is made while holding the row lock), so the common
     * case, a known and linked subscription, takes four: BEGIN, the locking SELECT, one statement that writes
     * everything, COMMIT.
     */
    @Override
    public Uni<Receipt> receive(StripeEvent event, Optional<UUID> claimedTenant, Rules rules) {
        if (event.subscriptionId() == null) {
            return sessions.inSession(s -> write(s, event, null, null)
                    .map(inserted -> inserted ? new Receipt(false, event, null, null) : Receipt.duplicate(event)));
        }
        return sessions.inTransaction(s -> lock(s, event.subscriptionId())
                .chain(row -> row != null ? Uni.createFrom().item(row) : s.createNativeQuery(
                        "INSERT INTO billing_subscriptions (id, created_at, updated_at) VALUES (:id, :at, :at) "
                                + "ON CONFLICT (id) DO NOTHING")
                        .setParameter("id", event.subscriptionId())
                        .setParameter("at", event.receivedAt())
                        .executeUpdate()
                        .chain(() -> lock(s, event.subscriptionId())))
                .chain(row -> {
                    Subscription current = row.toRecord();
                    // a linked subscription never changes tenant: no need to look the claim up
                    Uni<Optional<UUID>> known = current.tenantId() == null ? knownTenant(s, claimedTenant)
                            : Uni.createFrom().item(Optional.empty());
                    return known.chain(tenant -> {
                        Decision decision = rules.decide(current, tenant);
                        Subscription next = decision.next();
                        StripeEvent stored = event.matched(next.tenantId(), decision.outcome());
                        return write(s, stored, current, next).map(inserted -> inserted
                                ? new Receipt(false, stored, current, next) : Receipt.duplicate(event));
                    });
                }));
    }

    /** The subscription row, locked until the transaction ends; null when there is none yet. */
    private static Uni<SubscriptionEntity> lock(Mutiny.Session s, String id) {
        return s.createNativeQuery("SELECT * FROM billing_subscriptions WHERE id = :id FOR UPDATE",
                SubscriptionEntity.class)
                .setParameter("id", id)
                .getSingleResultOrNull();
    }

    private static Uni<Optional<UUID>> knownTenant(Mutiny.Session s, Optional<UUID> claimed) {
        if (claimed.isEmpty()) {
            return Uni.createFrom().item(Optional.empty());
        }
        return s.find(TenantEntity.class, claimed.get()).map(t -> t == null ? Optional.empty() : claimed);
    }

    /**
     * One statement: inserts the event and, only if that inserted it (not a duplicate), the subscription's next
     * state, its transition when the status changed, and its tenant on earlier rows when it was just linked. The
     * managed row from {@link #lock} is never modified, so Hibernate flushes nothing more.
     *
     * @return false when the event was already stored
     */
    private static Uni<Boolean> write(Mutiny.Session s, StripeEvent e, Subscription current, Subscription next) {
        StringBuilder sql = new StringBuilder("WITH e AS (").append(INSERT_EVENT).append(")");
        boolean update = next != null && !next.equals(current);
        boolean transition = next != null && !Objects.equals(current.status(), next.status());
        boolean linked = next != null && current.tenantId() == null && next.tenantId() != null;
        if (update) {
            sql.append(", s AS (UPDATE billing_subscriptions SET tenant_id = :tenant, customer_id = :subCustomer, "
                    + "status = :status, status_since = :statusSince, price_id = :price, "
                    + "current_period_end = :periodEnd, snapshot_status = :snapshot, "
                    + "last_state_event_created = :stateCreated, last_state_event_id = :stateId, "
                    + "invoice_outcome = :invoice, last_invoice_event_created = :invoiceCreated, "
                    + "last_invoice_event_id = :invoiceId, updated_at = :updatedAt "
                    + "WHERE id = :subscription AND EXISTS (SELECT 1 FROM e))");
        }
        if (transition) {
            sql.append(", t AS (INSERT INTO billing_transitions (id, subscription_id, tenant_id, from_status, "
                    + "to_status, event_id, applied_at) SELECT cast(:transitionId as uuid), "
                    + "cast(:subscription as text), cast(:tenant as uuid), cast(:fromStatus as text), "
                    + "cast(:status as text), event_id, cast(:appliedAt as timestamptz) FROM e)");
        }
        if (linked) {
            // what was recorded about this subscription before its link belongs to that tenant too
            sql.append(", le AS (UPDATE stripe_events SET tenant_id = :tenant WHERE subscription_id = :subscription "
                    + "AND tenant_id IS NULL AND EXISTS (SELECT 1 FROM e)), "
                    + "lt AS (UPDATE billing_transitions SET tenant_id = :tenant WHERE subscription_id = :subscription "
                    + "AND tenant_id IS NULL AND EXISTS (SELECT 1 FROM e))");
        }
        sql.append(" SELECT count(*) FROM e");
        var q = s.createNativeQuery(sql.toString())
                .setParameter("id", e.id())
                .setParameter("type", e.type())
                .setParameter("apiVersion", e.apiVersion())
                .setParameter("livemode", e.livemode())
                .setParameter("created", e.createdAt())
                .setParameter("received", e.receivedAt())
                .setParameter("subscription", e.subscriptionId())
                .setParameter("customer", e.customerId())
                .setParameter("claimed", e.claimedTenant())
                .setParameter("tenant", e.tenantId())
                .setParameter("outcome", e.outcome())
                .setParameter("payload", e.payload());
        if (update) {
            q.setParameter("subCustomer", next.customerId())
                    .setParameter("status", next.status())
                    .setParameter("statusSince", next.statusSince())
                    .setParameter("price", next.priceId())
                    .setParameter("periodEnd", next.currentPeriodEnd())
                    .setParameter("snapshot", next.snapshotStatus())
                    .setParameter("stateCreated", next.lastStateEvent() == null ? null : next.lastStateEvent().created())
                    .setParameter("stateId", next.lastStateEvent() == null ? null : next.lastStateEvent().eventId())
                    .setParameter("invoice", next.invoiceOutcome())
                    .setParameter("invoiceCreated",
                            next.lastInvoiceEvent() == null ? null : next.lastInvoiceEvent().created())
                    .setParameter("invoiceId", next.lastInvoiceEvent() == null ? null : next.lastInvoiceEvent().eventId())
                    .setParameter("updatedAt", next.updatedAt());
        }
        if (transition) {
            q.setParameter("transitionId", UuidV7.next())
                    .setParameter("fromStatus", current.status())
                    .setParameter("status", next.status())
                    .setParameter("appliedAt", Timestamps.now());
        }
        return q.getSingleResult().map(n -> ((Number) n).longValue() == 1);
    }

    @Override
    public Uni<List<Subscription>> subscriptionsOf(UUID tenantId) {
        return sessions.inSession(s -> s
                .createSelectionQuery("from SubscriptionEntity where tenantId = :tenant", SubscriptionEntity.class)
                .setParameter("tenant", tenantId)
                .getResultList())
                .map(rows -> rows.stream().map(SubscriptionEntity::toRecord).toList());
    }

    @Override
    public Uni<List<SubscriptionTransition>> transitions(String subscriptionId) {
        return sessions.inSession(s -> s
                .createSelectionQuery("from SubscriptionTransitionEntity where subscriptionId = :subscription "
                        + "order by appliedAt, id", SubscriptionTransitionEntity.class)
                .setParameter("subscription", subscriptionId)
                .getResultList())
                .map(rows -> rows.stream().map(SubscriptionTransitionEntity::toRecord).toList());
    }

    @Override
    public Uni<EventPage> events(boolean unmatchedOnly, TextCursor after, int limit) {
        String hql = "from StripeEventEntity where 1 = 1"
                + (unmatchedOnly ? " and tenantId is null and subscriptionId is not null" : "")
                + (after == null ? "" : " and (receivedAt < :at or (receivedAt = :at and id < :id))")
                + " order by receivedAt desc, id desc";
        return sessions.inSession(s -> {
            var q = s.createSelectionQuery(hql, StripeEventEntity.class).setMaxResults(limit + 1);
            if (after != null) {
                q.setParameter("at", after.at()).setParameter("id", after.id());
            }
            return q.getResultList();
        }).map(rows -> EventPage.of(rows.stream().map(StripeEventEntity::toRecord).toList(), limit));
    }
}
