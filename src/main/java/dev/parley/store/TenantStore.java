package dev.parley.store;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.smallrye.mutiny.Uni;

/** Tenants and their API keys. */
public interface TenantStore {

    /** Creates a tenant together with its first key, atomically. */
    Uni<Void> createTenant(Tenant tenant, ApiKey firstKey);

    Uni<Void> createApiKey(ApiKey key);

    /** The non-revoked key with this hash, if any: the one lookup authentication makes. */
    Uni<Optional<ApiKey>> findActiveKey(String hash);

    Uni<Optional<Tenant>> findTenant(UUID id);

    /** Records when keys were last used; called in batches, never once per request. */
    Uni<Void> recordKeyUse(Map<UUID, Instant> lastUsed);
}
