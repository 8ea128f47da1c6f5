package dev.parley.billing;

import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

import dev.parley.store.BillingStore;
import dev.parley.store.Subscription;
import io.smallrye.mutiny.Uni;

/**
 * What a tenant's subscriptions entitle it to: the budget check of the usage limits reads
 * {@link #monthlyTokenBudget}. One indexed read per tenant, remembered for {@code PARLEY_BILLING_CACHE_TTL}; a
 * subscription change committed by this process is seen at once, one committed by another replica within that time.
 */
@ApplicationScoped
public class Entitlements {

    private static final int CACHE_LIMIT = 10_000;

    private record Cached(List<Subscription> subscriptions, long expiresAtNanos) {
    }

    private final BillingStore store;
    private final Plans plans;
    private final boolean enabled;
    private final long ttlNanos;
    private final ConcurrentHashMap<UUID, Cached> cache = new ConcurrentHashMap<>();
    /** Bumped by every invalidation: a read that overlapped one does not fill the cache with what it read. */
    private final AtomicLong invalidations = new AtomicLong();

    Entitlements(BillingStore store, Plans plans, BillingSettings settings) {
        this.store = store;
        this.plans = plans;
        this.enabled = !settings.webhookSecrets().isEmpty();
        this.ttlNanos = settings.billing().cacheTtl().toNanos();
    }

    /**
     * The tenant's monthly token budget (tokens in plus tokens out per UTC calendar month) at {@code now}, as its
     * subscriptions grant it (see {@link Plans}): empty when the tenant has no subscription, or billing is off (no
     * webhook secret), so that no plan limit applies.
     */
    public Uni<OptionalLong> monthlyTokenBudget(UUID tenantId, Instant now) {
        if (!enabled) {
            return Uni.createFrom().item(OptionalLong.empty());
        }
        Cached cached = cache.get(tenantId);
        if (cached != null && cached.expiresAtNanos() - System.nanoTime() > 0) {
            return Uni.createFrom().item(plans.budget(cached.subscriptions(), now));
        }
        long seen = invalidations.get();
        return store.subscriptionsOf(tenantId).map(subscriptions -> {
            if (invalidations.get() == seen) {
                if (cache.size() >= CACHE_LIMIT) {
                    cache.clear();
                }
                cache.put(tenantId, new Cached(subscriptions, System.nanoTime() + ttlNanos));
            }
            return plans.budget(subscriptions, now);
        });
    }

    /** Called once a change to the tenant's subscriptions has committed. */
    void invalidate(UUID tenantId) {
        invalidations.incrementAndGet();
        cache.remove(tenantId);
    }
}
