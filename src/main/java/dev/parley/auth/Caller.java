package dev.parley.auth;

import java.time.Instant;
import java.util.Set;
import java.util.UUID;

import dev.parley.store.Limits;

/**
 * Who is making the current request: the tenant whose data it may touch, through which key, with what scopes, the
 * key's own limits, and when the key expires (null: never).
 */
public record Caller(UUID tenantId, UUID keyId, Set<Scope> scopes, Limits limits, Instant expiresAt) {

    public Caller(UUID tenantId, UUID keyId, Set<Scope> scopes, Limits limits) {
        this(tenantId, keyId, scopes, limits, null);
    }

    public Caller {
        scopes = Set.copyOf(Scope.effective(scopes));
        limits = limits == null ? Limits.NONE : limits;
    }

    public boolean has(Scope scope) {
        return scopes.contains(scope);
    }

    public boolean admin() {
        return has(Scope.ADMIN);
    }

    /** Whether this key holds every scope of {@code names}: only then may it manage a key that has them. */
    public boolean hasAll(Set<String> names) {
        return scopes.containsAll(Scope.effective(Scope.of(names)));
    }
}
