package dev.parley.store;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.smallrye.mutiny.Uni;

/**
 * Stripe events, the subscriptions they describe, and the transitions between subscription states. The one write,
 * {@link #receive}, is what makes webhooks exactly-once: storing the event and applying it are one transaction.
 */
public interface BillingStore {

    /**
     * Stores {@code event} unless an event with its id is already stored, and applies it, all in one transaction:
     * <ol>
     * <li>without a subscription id the event is only stored, as given;</li>
     * <li>otherwise the subscription's row is created if missing and locked (PostgreSQL: {@code SELECT ... FOR UPDATE};
     * SQLite: inside the single writer's {@code BEGIN IMMEDIATE} transaction), {@code claimedTenant} is looked up
     * among the tenants, and {@code rules} decide the row's next state from its current one;</li>
     * <li>the event is inserted with the decided outcome and the subscription's tenant; if another delivery of it
     * got there first, nothing is written and the receipt says {@code duplicate};</li>
     * <li>otherwise the row takes its next state, a {@link SubscriptionTransition} is written when the status
     * changed, and when the row was just linked to a tenant, its earlier events and transitions are given that
     * tenant too.</li>
     * </ol>
     */
    Uni<Receipt> receive(StripeEvent event, Optional<UUID> claimedTenant, Rules rules);

    /** A tenant's subscriptions: the entitlement read, one index lookup. */
    Uni<List<Subscription>> subscriptionsOf(UUID tenantId);

    /** A subscription's transitions, oldest first. */
    Uni<List<SubscriptionTransition>> transitions(String subscriptionId);

    /**
     * Stored events, most recently received first, without their payloads; with {@code unmatchedOnly} only those
     * about a subscription that no known tenant owns.
     */
    Uni<EventPage> events(boolean unmatchedOnly, TextCursor after, int limit);

    /** The state machine, run by {@link #receive} under the subscription's lock. Pure: it must not block or write. */
    @FunctionalInterface
    interface Rules {
        /**
         * @param current the subscription as stored (a {@link Subscription#blank blank} row when new)
         * @param knownTenant the event's claimed tenant, when it names one that exists
         */
        Decision decide(Subscription current, Optional<UUID> knownTenant);
    }

    /** The subscription's next state (equal to the current one when nothing changes) and the event's outcome. */
    record Decision(Subscription next, String outcome) {
    }

    /**
     * What {@link #receive} did: for a {@code duplicate} nothing; otherwise the subscription before and after (both
     * null for an event without a subscription) and the event as stored.
     */
    record Receipt(boolean duplicate, StripeEvent stored, Subscription before, Subscription after) {

        public static Receipt duplicate(StripeEvent event) {
            return new Receipt(true, event, null, null);
        }

        public boolean statusChanged() {
            return after != null && !java.util.Objects.equals(before.status(), after.status());
        }
    }

    record EventPage(List<StripeEvent> items, TextCursor next) {

        /** Builds a page from a query that fetched {@code limit + 1} rows: the extra row only proves there is more. */
        public static EventPage of(List<StripeEvent> rows, int limit) {
            if (rows.size() <= limit) {
                return new EventPage(List.copyOf(rows), null);
            }
            List<StripeEvent> items = List.copyOf(rows.subList(0, limit));
            StripeEvent last = items.get(limit - 1);
            return new EventPage(items, TextCursor.of(last.receivedAt(), last.id()));
        }
    }
}
