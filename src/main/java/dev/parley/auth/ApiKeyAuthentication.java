package dev.parley.auth;

import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import dev.parley.store.ApiKey;
import dev.parley.store.TenantStore;
import io.smallrye.mutiny.Uni;

/**
 * Authenticates every REST call by {@code Authorization: Bearer <key>}: hash the key, one indexed lookup (cached for
 * {@code parley.auth.cache-ttl}), and the tenant is known. Health and metrics endpoints are not REST resources and
 * stay open for probes.
 */
public class ApiKeyAuthentication {

    private static final int CACHE_LIMIT = 10_000;

    @Inject
    TenantStore tenants;

    @Inject
    CurrentCaller current;

    @Inject
    KeyUseRecorder keyUse;

    @Inject
    AuthSettings settings;

    private record Cached(Caller caller, long expiresAtNanos) {
    }

    private static final ConcurrentHashMap<String, Cached> CACHE = new ConcurrentHashMap<>();

    @ServerRequestFilter
    public Uni<Void> authenticate(ContainerRequestContext request) {
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
            return Uni.createFrom().failure(new Unauthenticated("missing bearer API key"));
        }
        String hash = ApiKeys.hash(header.substring(7).trim());
        Cached cached = CACHE.get(hash);
        if (cached != null && cached.expiresAtNanos() - System.nanoTime() > 0) {
            accept(cached.caller());
            return Uni.createFrom().voidItem();
        }
        return tenants.findActiveKey(hash).map(found -> {
            Caller caller = found.map(ApiKeyAuthentication::callerOf)
                    .orElseThrow(() -> new Unauthenticated("unknown or revoked API key"));
            if (CACHE.size() >= CACHE_LIMIT) {
                CACHE.clear();
            }
            CACHE.put(hash, new Cached(caller, System.nanoTime() + settings.auth().cacheTtl().toNanos()));
            accept(caller);
            return null;
        });
    }

    private void accept(Caller caller) {
        current.set(caller);
        keyUse.record(caller.keyId());
    }

    private static Caller callerOf(ApiKey key) {
        return new Caller(key.tenantId(), key.id(), key.admin());
    }
}
