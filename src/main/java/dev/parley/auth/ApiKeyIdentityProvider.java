package dev.parley.auth;

import jakarta.enterprise.context.ApplicationScoped;

import dev.parley.store.ApiKey;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;

/**
 * Turns a verified API key into the request's identity: its principal is the key id, its roles are the key's
 * effective scopes (see {@link Scope}), and it carries the {@link Caller}.
 */
@ApplicationScoped
public class ApiKeyIdentityProvider implements IdentityProvider<ApiKeyCredential> {

    /** The identity attribute holding the {@link Caller}. */
    static final String CALLER = "parley.caller";

    private final VerifiedKeys keys;
    private final KeyUseRecorder keyUse;

    ApiKeyIdentityProvider(VerifiedKeys keys, KeyUseRecorder keyUse) {
        this.keys = keys;
        this.keyUse = keyUse;
    }

    @Override
    public Class<ApiKeyCredential> getRequestType() {
        return ApiKeyCredential.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(ApiKeyCredential request, AuthenticationRequestContext context) {
        return keys.verify(request.token()).map(this::identity);
    }

    private SecurityIdentity identity(ApiKey key) {
        Caller caller = new Caller(key.tenantId(), key.id(), Scope.of(key.scopes()), key.limits(), key.expiresAt());
        keyUse.record(key.id());
        QuarkusSecurityIdentity.Builder identity = QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal(key.id().toString()))
                .addAttribute(CALLER, caller);
        caller.scopes().forEach(s -> identity.addRole(s.id()));
        return identity.build();
    }
}
