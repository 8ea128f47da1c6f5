package dev.parley.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.smallrye.mutiny.Uni;

/** Tenants and their API keys. */
public interface TenantStore {

    /** Creates a tenant together with its first key, atomically. */
    Uni<Void> createTenant(Tenant tenant, ApiKey firstKey);

    Uni<Void> createApiKey(ApiKey key);

    /** The key with this hash whatever its state, revoked and expired ones included: the lookup authentication makes. */
    Uni<Optional<ApiKey>> findKey(String hash);

    Uni<Optional<Tenant>> findTenant(UUID id);

    /** One of the tenant's keys by id, whatever its state; empty when the tenant has no such key. */
    Uni<Optional<ApiKey>> findKey(UUID tenantId, UUID keyId);

    /** The tenant's keys, oldest first ({@code created_at}, then id). */
    Uni<Page<ApiKey>> listKeys(UUID tenantId, Cursor after, int limit);

    /**
     * Revokes the tenant's key at {@code at} (a key revoked before keeps its first revocation time); returns it, or
     * empty when the tenant has no such key.
     */
    Uni<Optional<ApiKey>> revokeKey(UUID tenantId, UUID keyId, Instant at);

    /** A revocation, as the other processes learn of it. */
    record Revocation(String hash, Instant at) {
    }

    /** Keys revoked at or after {@code since}, oldest first: what every process polls to drop them from its cache. */
    Uni<List<Revocation>> revokedSince(Instant since);

    /** Records when keys were last used; called in batches, never once per request. */
    Uni<Void> recordKeyUse(Map<UUID, Instant> lastUsed);
}
