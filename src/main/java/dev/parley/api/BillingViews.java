package dev.parley.api;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.parley.billing.Plan;
import dev.parley.billing.StripeWebhooks;
import dev.parley.billing.TenantSubscriptions;
import dev.parley.store.BillingStore;
import dev.parley.store.EventMark;
import dev.parley.store.StripeEvent;
import dev.parley.store.Subscription;
import dev.parley.store.SubscriptionTransition;

/** Response bodies of the billing endpoints. */
final class BillingViews {

    private BillingViews() {
    }

    record WebhookAck(boolean received, String eventId, boolean duplicate, String outcome) {
        static WebhookAck of(StripeWebhooks.Receipt r) {
            return new WebhookAck(true, r.eventId(), r.duplicate(), r.outcome());
        }
    }

    record PlanView(int number, String name, String price, long monthlyTokens) {
        static PlanView of(Plan p) {
            return new PlanView(p.number(), p.name(), p.priceId(), p.monthlyTokens());
        }
    }

    record EventRef(String id, Instant created) {
        static EventRef of(EventMark m) {
            return m == null ? null : new EventRef(m.eventId(), m.created());
        }
    }

    record TransitionView(String from, String to, String eventId, Instant at) {
        static TransitionView of(SubscriptionTransition t) {
            return new TransitionView(t.fromStatus(), t.toStatus(), t.eventId(), t.appliedAt());
        }
    }

    /**
     * A tenant's current subscription. Without one, every subscription field is null and {@code transitions} empty;
     * {@code status} is also null until Stripe has told it; {@code plan} is null when the subscription's price is not
     * a configured plan; {@code monthlyTokenBudget} is what all of the tenant's subscriptions grant now, null when
     * no plan limit applies.
     */
    record SubscriptionView(UUID tenantId, String subscriptionId, String customerId, String status,
            Instant statusSince, String priceId, PlanView plan, boolean grantsPlan, Instant currentPeriodEnd,
            Long monthlyTokenBudget, EventRef lastEvent, List<TransitionView> transitions) {
        static SubscriptionView of(UUID tenantId, Optional<TenantSubscriptions.Current> current) {
            if (current.isEmpty()) {
                return new SubscriptionView(tenantId, null, null, null, null, null, null, false, null, null, null,
                        List.of());
            }
            TenantSubscriptions.Current c = current.get();
            Subscription s = c.subscription();
            return new SubscriptionView(tenantId, s.id(), s.customerId(), s.status(), s.statusSince(), s.priceId(),
                    c.plan().map(PlanView::of).orElse(null), c.grantsPlan(), s.currentPeriodEnd(),
                    c.monthlyTokenBudget().isPresent() ? c.monthlyTokenBudget().getAsLong() : null,
                    EventRef.of(s.lastEvent()), c.transitions().stream().map(TransitionView::of).toList());
        }
    }

    /** A stored event, without its payload. {@code matched} is false while no known tenant owns its subscription. */
    record EventView(String id, String type, String apiVersion, boolean livemode, Instant created,
            Instant receivedAt, String subscriptionId, String customerId, String claimedTenant, UUID tenantId,
            boolean matched, String outcome) {
        static EventView of(StripeEvent e) {
            return new EventView(e.id(), e.type(), e.apiVersion(), e.livemode(), e.createdAt(), e.receivedAt(),
                    e.subscriptionId(), e.customerId(), e.claimedTenant(), e.tenantId(),
                    e.tenantId() != null || e.subscriptionId() == null, e.outcome());
        }
    }

    record EventPageView(List<EventView> items, String nextCursor) {
        static EventPageView of(BillingStore.EventPage page) {
            return new EventPageView(page.items().stream().map(EventView::of).toList(),
                    page.next() == null ? null : page.next().encode());
        }
    }
}
