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
 * {@code SELECT ... FOR UPDATE} before it inserts the event: concurrent deliveries concerning one subscription, on
 * any replica, queue on that lock, and the event's primary key lets exactly one of its copies through.
 */
@ApplicationScoped
@Typed(PgBillingStore.class)
public class PgBillingStore implements BillingStore {

    private static final String INSERT_EVENT = "INSERT INTO stripe_events (event_id, type, api_version, livemode, "
            + "created_at, received_at, subscription_id, customer_id, claimed_tenant, tenant_id, outcome, payload) "
            + "VALUES (:id, :type, :apiVersion, :livemode, :created, :received, :subscription, :customer, :claimed, "
            + ":tenant, :outcome, cast(:payload as jsonb)) ON CONFLICT (event_id) DO NOTHING";

    private final PgSessions sessions;

    PgBillingStore(PgSessions sessions) {
        this.sessions = sessions;
    }

    @Override
    public Uni<Receipt> receive(StripeEvent event, Optional<UUID> claimedTenant, Rules rules) {
        if (event.subscriptionId() == null) {
            return sessions.inSession(s -> insertEvent(s, event)
                    .map(inserted -> inserted ? new Receipt(false, event, null, null) : Receipt.duplicate(event)));
        }
        return sessions.inTransaction(s -> s.createNativeQuery("INSERT INTO billing_subscriptions (id, created_at, "
                + "updated_at) VALUES (:id, :at, :at) ON CONFLICT (id) DO NOTHING")
                .setParameter("id", event.subscriptionId())
                .setParameter("at", event.receivedAt())
                .executeUpdate()
                .chain(() -> s.createNativeQuery("SELECT * FROM billing_subscriptions WHERE id = :id FOR UPDATE",
                        SubscriptionEntity.class)
                        .setParameter("id", event.subscriptionId())
                        .getSingleResult())
                .chain(row -> knownTenant(s, claimedTenant).chain(known -> {
                    Subscription current = row.toRecord();
                    Decision decision = rules.decide(current, known);
                    Subscription next = decision.next();
                    StripeEvent stored = event.matched(next.tenantId(), decision.outcome());
                    return insertEvent(s, stored).chain(inserted -> inserted
                            ? apply(s, row, current, next, event).replaceWith(new Receipt(false, stored, current, next))
                            : Uni.createFrom().item(Receipt.duplicate(event)));
                })));
    }

    private static Uni<Optional<UUID>> knownTenant(Mutiny.Session s, Optional<UUID> claimed) {
        if (claimed.isEmpty()) {
            return Uni.createFrom().item(Optional.empty());
        }
        return s.find(TenantEntity.class, claimed.get()).map(t -> t == null ? Optional.empty() : claimed);
    }

    private static Uni<Boolean> insertEvent(Mutiny.Session s, StripeEvent e) {
        return s.createNativeQuery(INSERT_EVENT)
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
                .setParameter("payload", e.payload())
                .executeUpdate()
                .map(n -> n == 1);
    }

    /** Writes the decided state; the managed row is flushed when the transaction commits. */
    private static Uni<Void> apply(Mutiny.Session s, SubscriptionEntity row, Subscription current, Subscription next,
            StripeEvent event) {
        row.assign(next);
        Uni<Void> work = Uni.createFrom().voidItem();
        if (!Objects.equals(current.status(), next.status())) {
            SubscriptionTransition t = new SubscriptionTransition(UuidV7.next(), next.id(), next.tenantId(),
                    current.status(), next.status(), event.id(), Timestamps.now());
            work = work.chain(() -> s.persist(SubscriptionTransitionEntity.of(t)));
        }
        if (current.tenantId() == null && next.tenantId() != null) {
            // just linked: what was recorded about this subscription before belongs to that tenant too
            for (String table : List.of("stripe_events", "billing_transitions")) {
                work = work.chain(() -> s.createNativeQuery("UPDATE " + table + " SET tenant_id = :tenant "
                        + "WHERE subscription_id = :subscription AND tenant_id IS NULL")
                        .setParameter("tenant", next.tenantId())
                        .setParameter("subscription", next.id())
                        .executeUpdate()
                        .replaceWithVoid());
            }
        }
        return work;
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
