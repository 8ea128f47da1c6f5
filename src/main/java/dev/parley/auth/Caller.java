package dev.parley.auth;

import java.util.Set;
import java.util.UUID;

import dev.parley.store.Limits;

/**
 * Who is making the current request: the tenant whose data it may touch, through which key, with what scopes, and the
 * key's own limits.
 */
public record Caller(UUID tenantId, UUID keyId, Set<Scope> scopes, Limits limits) {

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
}
