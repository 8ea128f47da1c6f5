package dev.parley.auth;

import jakarta.enterprise.context.RequestScoped;

import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * The authenticated caller of this request. Resources that declare a scope ({@code @RolesAllowed}) are only entered
 * once the request's identity is established, so this never waits.
 */
@RequestScoped
public class CurrentCaller {

    private final SecurityIdentity identity;

    CurrentCaller(SecurityIdentity identity) {
        this.identity = identity;
    }

    public Caller get() {
        Caller caller = identity.getAttribute(ApiKeyIdentityProvider.CALLER);
        if (caller == null) {
            throw new UnauthorizedException("request is not authenticated");
        }
        return caller;
    }
}
