package dev.parley.usage;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;

import dev.parley.auth.Caller;
import dev.parley.auth.Tenants;
import dev.parley.store.ApiKey;
import dev.parley.store.Limits;
import dev.parley.store.UsageStore;
import io.smallrye.mutiny.Uni;

/**
 * Setting limits: an admin's per tenant, and a tenant's own per key, which may never be above its tenant's (a key
 * without a value of its own is held to its tenant's anyway).
 */
@ApplicationScoped
public class LimitChanges {

    /** A key asked for more than its tenant may spend. */
    public static final class AboveTenant extends RuntimeException {
        AboveTenant(String detail) {
            super(detail, null, false, false);
        }
    }

    private final TenantLimits tenants;
    private final UsageStore store;
    private final Tenants keys;

    LimitChanges(TenantLimits tenants, UsageStore store, Tenants keys) {
        this.tenants = tenants;
        this.store = store;
        this.keys = keys;
    }

    /** The limits an admin set for the tenant; empty for an unknown tenant. */
    public Uni<Optional<Limits>> tenant(UUID tenantId) {
        return tenants.configured(tenantId);
    }

    /** Replaces the tenant's limits; false for an unknown tenant. Applies at once here, on replicas within the TTL. */
    public Uni<Boolean> setTenant(UUID tenantId, Limits limits) {
        return tenants.set(tenantId, limits);
    }

    /**
     * Replaces the limits of one of the caller's tenant's keys; empty when there is no such key.
     *
     * @throws AboveTenant (as the Uni's failure) when a value is above what the tenant may spend
     */
    public Uni<Optional<ApiKey>> setKey(Caller caller, UUID keyId, Limits limits) {
        return keys.manageable(caller, keyId).chain(found -> found.isEmpty() ? Uni.createFrom().item(found)
                : tenants.effective(caller.tenantId(), Instant.now()).chain(tenant -> {
            check("requestsPerMinute", limits, tenant, Limits::requestsPerMinute);
            check("tokensPerMinute", limits, tenant, Limits::tokensPerMinute);
            check("concurrentTurns", limits, tenant, Limits::concurrentTurns);
            check("monthlyTokenBudget", limits, tenant, Limits::monthlyTokenBudget);
            return store.setKeyLimits(caller.tenantId(), keyId, limits);
        })).invoke(changed -> changed.ifPresent(keys::changed));
    }

    private static void check(String name, Limits key, Limits tenant, Function<Limits, Long> value) {
        Long asked = value.apply(key);
        Long allowed = value.apply(tenant);
        if (asked != null && allowed != null && asked > allowed) {
            throw new AboveTenant(name + " " + asked + " is above the tenant's " + allowed);
        }
    }
}
