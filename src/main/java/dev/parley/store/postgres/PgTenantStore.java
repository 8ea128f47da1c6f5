package dev.parley.store.postgres;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.ApiKey;
import dev.parley.store.Tenant;
import dev.parley.store.TenantStore;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

@ApplicationScoped
@Typed(PgTenantStore.class)
public class PgTenantStore implements TenantStore {

    private final PgSessions sessions;

    PgTenantStore(PgSessions sessions) {
        this.sessions = sessions;
    }

    @Override
    public Uni<Void> createTenant(Tenant tenant, ApiKey firstKey) {
        return sessions.inTransaction(s -> s.persist(TenantEntity.of(tenant))
                .chain(s::flush)
                .chain(() -> s.persist(ApiKeyEntity.of(firstKey))));
    }

    @Override
    public Uni<Void> createApiKey(ApiKey key) {
        return sessions.inTransaction(s -> s.persist(ApiKeyEntity.of(key)));
    }

    @Override
    public Uni<Optional<ApiKey>> findActiveKey(String hash) {
        return sessions.inSession(s -> s
                .createSelectionQuery("from ApiKeyEntity where hash = :hash and revokedAt is null", ApiKeyEntity.class)
                .setParameter("hash", hash)
                .getSingleResultOrNull()
                .map(e -> Optional.ofNullable(e).map(ApiKeyEntity::toRecord)));
    }

    @Override
    public Uni<Optional<Tenant>> findTenant(UUID id) {
        return sessions.inTransaction(s -> s.find(TenantEntity.class, id)
                .map(e -> Optional.ofNullable(e).map(TenantEntity::toRecord)));
    }

    @Override
    public Uni<Void> recordKeyUse(Map<UUID, Instant> lastUsed) {
        if (lastUsed.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return sessions.inTransaction(s -> Multi.createFrom().iterable(lastUsed.entrySet())
                .onItem().transformToUniAndConcatenate(e -> s.createMutationQuery("update ApiKeyEntity "
                        + "set lastUsedAt = :at where id = :id and (lastUsedAt is null or lastUsedAt < :at)")
                        .setParameter("at", e.getValue())
                        .setParameter("id", e.getKey())
                        .executeUpdate())
                .collect().last()
                .replaceWithVoid());
    }
}
