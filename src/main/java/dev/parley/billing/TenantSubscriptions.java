package dev.parley.billing;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import dev.parley.store.BillingStore;
import dev.parley.store.Subscription;
import dev.parley.store.SubscriptionTransition;
import dev.parley.store.TenantStore;
import dev.parley.store.TextCursor;
import io.smallrye.mutiny.Uni;

/** Reading a tenant's subscription and the stored events, for the API. Always fresh from the store, never cached. */
@ApplicationScoped
public class TenantSubscriptions {

    /**
     * A tenant's current subscription with its plan and transition history, and the budget all its subscriptions
     * grant (empty: no plan limit).
     */
    public record Current(Subscription subscription, Optional<Plan> plan, boolean grantsPlan,
            OptionalLong monthlyTokenBudget, List<SubscriptionTransition> transitions) {
    }

    private final BillingStore store;
    private final TenantStore tenants;
    private final Plans plans;
    private final boolean enabled;

    TenantSubscriptions(BillingStore store, TenantStore tenants, Plans plans, BillingSettings settings) {
        this.store = store;
        this.tenants = tenants;
        this.plans = plans;
        this.enabled = !settings.webhookSecrets().isEmpty();
    }

    public Uni<Boolean> tenantExists(UUID tenantId) {
        return tenants.findTenant(tenantId).map(Optional::isPresent);
    }

    /**
     * The tenant's current subscription: of several, one that grants a plan (the largest budget first), else the
     * most recently changed. Empty when the tenant has none.
     */
    public Uni<Optional<Current>> current(UUID tenantId, Instant now) {
        return store.subscriptionsOf(tenantId).chain(subscriptions -> {
            Optional<Subscription> chosen = subscriptions.stream()
                    .max(Comparator.<Subscription, Boolean> comparing(s -> plans.grantsPlan(s, now))
                            .thenComparingLong(s -> plans.budget(s, now))
                            .thenComparing(Subscription::updatedAt)
                            .thenComparing(Subscription::id));
            if (chosen.isEmpty()) {
                return Uni.createFrom().item(Optional.<Current> empty());
            }
            Subscription s = chosen.get();
            // the same budget Entitlements gives: none while billing is off
            OptionalLong budget = enabled ? plans.budget(subscriptions, now) : OptionalLong.empty();
            return store.transitions(s.id()).map(history -> Optional.of(new Current(s, plans.forPrice(s.priceId()),
                    plans.grantsPlan(s, now), budget, history)));
        });
    }

    /** Stored events, newest first; with {@code unmatchedOnly} those about a subscription no known tenant owns. */
    public Uni<BillingStore.EventPage> events(boolean unmatchedOnly, TextCursor after, int limit) {
        return store.events(unmatchedOnly, after, limit);
    }
}
