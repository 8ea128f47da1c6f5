package dev.parley.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.parley.store.ApiKey;
import dev.parley.store.Cursor;
import dev.parley.store.DatabaseReady;
import dev.parley.store.Page;
import dev.parley.store.Tenant;
import dev.parley.store.TenantStore;
import dev.parley.store.Timestamps;
import dev.parley.store.UuidV7;
import io.quarkus.runtime.LaunchMode;
import io.smallrye.mutiny.Uni;

/**
 * Tenants and their keys: creating, listing and revoking keys within what the caller may do, and the bootstrap of
 * the first admin key from {@code PARLEY_BOOTSTRAP_API_KEY}.
 */
@ApplicationScoped
public class Tenants {

    private static final Logger LOG = Logger.getLogger(Tenants.class);
    /** What a tenant's first key may do, and what keys made before scopes existed were migrated to. */
    public static final Set<Scope> TENANT_SCOPES = Set.copyOf(EnumSet.of(Scope.READ, Scope.CHAT, Scope.KEYS));

    /** A tenant just created, with the only copy of its first key in clear text. */
    public record NewTenant(Tenant tenant, ApiKey key, String plaintextKey) {
    }

    /** A key just created; {@code plaintextKey} is shown to the caller once and never stored. */
    public record NewKey(ApiKey key, String plaintextKey) {
    }

    /** Start-up must stop: the database or the configuration holds a key that must not work here. */
    public static final class UnsafeKey extends RuntimeException {
        UnsafeKey(String message) {
            super(message, null, false, false);
        }
    }

    private final TenantStore store;
    private final VerifiedKeys verified;
    private final Optional<String> bootstrapKey;
    private final String bootstrapTenant;

    Tenants(TenantStore store, VerifiedKeys verified, AuthSettings settings) {
        this.store = store;
        this.verified = verified;
        this.bootstrapKey = settings.bootstrap().apiKey().map(String::trim).filter(k -> !k.isEmpty());
        this.bootstrapTenant = settings.bootstrap().tenant();
    }

    /** A new tenant whose first key has {@code scopes}. */
    public Uni<NewTenant> createTenant(String name, Set<Scope> scopes) {
        String plaintext = ApiKeys.generate();
        return createTenant(name, scopes, plaintext, ApiKeys.displayPrefix(plaintext));
    }

    private Uni<NewTenant> createTenant(String name, Set<Scope> scopes, String plaintext, String prefix) {
        Tenant tenant = new Tenant(UuidV7.next(), name, Timestamps.now());
        ApiKey key = new ApiKey(UuidV7.next(), tenant.id(), scopes.contains(Scope.ADMIN) ? "admin" : "default",
                prefix, ApiKeys.hash(plaintext), Scope.ids(scopes), tenant.createdAt(), null, null, null);
        return store.createTenant(tenant, key).replaceWith(new NewTenant(tenant, key, plaintext));
    }

    public Uni<Optional<Tenant>> findTenant(UUID id) {
        return store.findTenant(id);
    }

    /**
     * Another key for the caller's tenant, with {@code requested} scopes (when null: the caller's own, without
     * {@code admin}, which is only ever given when asked for). A key gives only scopes it has itself.
     *
     * @throws Forbidden when a requested scope is one the caller does not have
     * @throws IllegalArgumentException when {@code expiresAt} is not in the future
     */
    public Uni<NewKey> createKey(Caller caller, String name, Set<Scope> requested, Instant expiresAt) {
        Set<Scope> scopes = requested == null ? without(caller.scopes(), Scope.ADMIN) : requested;
        if (scopes.isEmpty()) {
            throw new IllegalArgumentException("a key needs at least one scope");
        }
        for (Scope s : scopes) {
            if (!caller.has(s)) {
                throw new Forbidden("this key cannot give the scope '" + s.id() + "', which it does not have");
            }
        }
        Instant now = Timestamps.now();
        if (expiresAt != null && !expiresAt.isAfter(now)) {
            throw new IllegalArgumentException("expiresAt must be in the future");
        }
        // a key that expires cannot outlive itself through the keys it makes: theirs is at most its own
        if (caller.expiresAt() != null) {
            if (expiresAt == null) {
                expiresAt = caller.expiresAt();
            } else if (expiresAt.isAfter(caller.expiresAt())) {
                throw new IllegalArgumentException("expiresAt must not be after " + caller.expiresAt()
                        + ", when the key making it expires");
            }
        }
        String plaintext = ApiKeys.generate();
        ApiKey key = new ApiKey(UuidV7.next(), caller.tenantId(), name, ApiKeys.displayPrefix(plaintext),
                ApiKeys.hash(plaintext), Scope.ids(scopes), now, expiresAt, null, null);
        return store.createApiKey(key).replaceWith(new NewKey(key, plaintext));
    }

    public Uni<Page<ApiKey>> listKeys(Caller caller, Cursor after, int limit) {
        return store.listKeys(caller.tenantId(), after, limit);
    }

    /** One of the caller's tenant's keys, whatever its state; empty when the tenant has none with that id. */
    public Uni<Optional<ApiKey>> findKey(Caller caller, UUID keyId) {
        return store.findKey(caller.tenantId(), keyId);
    }

    /**
     * Drops a key whose stored state (its limits) just changed from this process's cache, so that its next request
     * reads it anew; other processes read it anew within {@code PARLEY_AUTH_CACHE_TTL}.
     */
    public void changed(ApiKey key) {
        verified.forget(key.hash());
    }

    /**
     * Revokes one of the caller's tenant's keys; empty when the tenant has none with that id.
     *
     * @throws Forbidden (as the Uni's failure) for a key with a scope the caller does not have
     */
    public Uni<Optional<ApiKey>> revokeKey(Caller caller, UUID keyId) {
        return manageable(caller, keyId).chain(found -> found.isEmpty() ? Uni.createFrom().item(found)
                : store.revokeKey(caller.tenantId(), keyId, Timestamps.now())
                        .invoke(revoked -> revoked.ifPresent(k -> verified.forget(k.hash()))));
    }

    /**
     * One of the caller's tenant's keys that the caller may change: one whose every scope the caller has, so that a
     * leaked {@code keys} key cannot revoke or limit its tenant's stronger keys. Empty when there is no such key.
     */
    public Uni<Optional<ApiKey>> manageable(Caller caller, UUID keyId) {
        return store.findKey(caller.tenantId(), keyId).invoke(found -> found.ifPresent(k -> {
            if (!caller.hasAll(k.scopes())) {
                throw new Forbidden("this key cannot change a key with scopes it does not have itself");
            }
        }));
    }

    private static Set<Scope> without(Set<Scope> scopes, Scope removed) {
        EnumSet<Scope> rest = EnumSet.noneOf(Scope.class);
        rest.addAll(scopes);
        rest.remove(removed);
        return rest;
    }

    /**
     * At start: refuses to serve outside dev mode while the published dev key would work (given as
     * {@code PARLEY_BOOTSTRAP_API_KEY}, or active in the database), then creates the bootstrap tenant with an admin
     * key equal to {@code PARLEY_BOOTSTRAP_API_KEY} unless a key with that value exists, in whatever state: so the
     * variable can stay set, and a revoked bootstrap key stays revoked across restarts.
     */
    void onReady(@Observes DatabaseReady ready) {
        if (LaunchMode.current() != LaunchMode.DEVELOPMENT) {
            refuseDevKey();
        }
        if (bootstrapKey.isEmpty()) {
            return;
        }
        String plaintext = bootstrapKey.get();
        if (plaintext.length() < 16) {
            LOG.warn("PARLEY_BOOTSTRAP_API_KEY is shorter than 16 characters; ignoring it");
            return;
        }
        if (keyExists(plaintext)) {
            return;
        }
        try {
            // an operator-chosen key: no part of it is stored or logged as a display prefix
            NewTenant created = createTenant(bootstrapTenant, EnumSet.of(Scope.ADMIN), plaintext, "")
                    .await().atMost(Duration.ofSeconds(30));
            LOG.infof("Created tenant '%s' (%s) with the admin key from PARLEY_BOOTSTRAP_API_KEY (key id %s)",
                    bootstrapTenant, created.tenant().id(), created.key().id());
        } catch (RuntimeException e) {
            // Replicas starting together on an empty database race here; the key's unique hash lets one win.
            if (!keyExists(plaintext)) {
                throw e;
            }
            LOG.info("The admin key from PARLEY_BOOTSTRAP_API_KEY was created meanwhile by another Parley process");
        }
    }

    private void refuseDevKey() {
        if (bootstrapKey.filter(ApiKeys.DEV_KEY::equals).isPresent()) {
            throw new UnsafeKey("PARLEY_BOOTSTRAP_API_KEY is the published dev key '" + ApiKeys.DEV_KEY
                    + "', which only dev mode accepts; set a secret of your own (e.g. openssl rand -base64 32)");
        }
        Optional<ApiKey> dev = store.findKey(ApiKeys.hash(ApiKeys.DEV_KEY)).await().atMost(Duration.ofSeconds(30));
        if (dev.filter(k -> k.activeAt(Instant.now())).isPresent()) {
            throw new UnsafeKey("the database holds the published dev key '" + ApiKeys.DEV_KEY + "' as an active "
                    + "key; revoke it first: parley revoke-api-key " + dev.get().id());
        }
    }

    private boolean keyExists(String plaintext) {
        return store.findKey(ApiKeys.hash(plaintext)).await().atMost(Duration.ofSeconds(30)).isPresent();
    }
}
