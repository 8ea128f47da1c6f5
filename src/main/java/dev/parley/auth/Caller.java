package dev.parley.auth;

import java.util.Set;
import java.util.UUID;

/** Who is making the current request: the tenant whose data it may touch, through which key, with what scopes. */
public record Caller(UUID tenantId, UUID keyId, Set<Scope> scopes) {

    public Caller {
        scopes = Set.copyOf(Scope.effective(scopes));
    }

    public boolean has(Scope scope) {
        return scopes.contains(scope);
    }

    public boolean admin() {
        return has(Scope.ADMIN);
    }
}
