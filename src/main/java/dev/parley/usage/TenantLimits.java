package dev.parley.usage;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import dev.parley.billing.Entitlements;
import dev.parley.store.Limits;
import dev.parley.store.UsageStore;
import io.smallrye.mutiny.Uni;

/**
 * A tenant's effective limits: what an admin set, with the monthly budget lowered to what its plan grants (billing),
 * when it has one. Remembered for {@code PARLEY_USAGE_LIMITS_CACHE_TTL}; a change made through this process applies
 * at once, one made through another replica within that time.
 */
@ApplicationScoped
public class TenantLimits {

    private static final int CACHE_LIMIT = 10_000;

    private record Cached(Limits limits, long expiresAtNanos) {
    }

    private final UsageStore store;
    private final Entitlements entitlements;
    private final long ttlNanos;
    private final ConcurrentHashMap<UUID, Cached> cache = new ConcurrentHashMap<>();

    TenantLimits(UsageStore store, Entitlements entitlements, UsageSettings settings) {
        this.store = store;
        this.entitlements = entitlements;
        this.ttlNanos = settings.usage().limitsCacheTtl().toNanos();
    }

    /** The limits an admin set for the tenant (none for an unknown tenant). */
    public Uni<Optional<Limits>> configured(UUID tenantId) {
        return store.tenantLimits(tenantId);
    }

    /** What the tenant may spend now: its configured limits and its plan's budget, whichever is lower. */
    public Uni<Limits> effective(UUID tenantId, Instant now) {
        Cached cached = cache.get(tenantId);
        Uni<Limits> configured = cached != null && cached.expiresAtNanos() - System.nanoTime() > 0
                ? Uni.createFrom().item(cached.limits())
                : store.tenantLimits(tenantId).map(found -> {
                    Limits l = found.orElse(Limits.NONE);
                    if (cache.size() >= CACHE_LIMIT) {
                        cache.clear();
                    }
                    cache.put(tenantId, new Cached(l, System.nanoTime() + ttlNanos));
                    return l;
                });
        return configured.chain(l -> entitlements.monthlyTokenBudget(tenantId, now).map(plan -> lower(l, plan)));
    }

    private static Limits lower(Limits limits, OptionalLong plan) {
        if (plan.isEmpty()) {
            return limits;
        }
        Long own = limits.monthlyTokenBudget();
        return limits.withMonthlyTokenBudget(own == null ? plan.getAsLong() : Math.min(own, plan.getAsLong()));
    }

    /** Replaces what an admin set; false for an unknown tenant. */
    public Uni<Boolean> set(UUID tenantId, Limits limits) {
        return store.setTenantLimits(tenantId, limits).invoke(done -> cache.remove(tenantId));
    }
}
