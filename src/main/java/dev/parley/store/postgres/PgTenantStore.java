package dev.parley.store.postgres;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.ApiKey;
import dev.parley.store.Cursor;
import dev.parley.store.Page;
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
    public Uni<Optional<ApiKey>> findKey(String hash) {
        return sessions.inSession(s -> s
                .createSelectionQuery("from ApiKeyEntity where hash = :hash", ApiKeyEntity.class)
                .setParameter("hash", hash)
                .getSingleResultOrNull()
                .map(e -> Optional.ofNullable(e).map(ApiKeyEntity::toRecord)));
    }

    @Override
    public Uni<Optional<Tenant>> findTenant(UUID id) {
        return sessions.inSession(s -> s.find(TenantEntity.class, id)
                .map(e -> Optional.ofNullable(e).map(TenantEntity::toRecord)));
    }

    @Override
    public Uni<Optional<ApiKey>> findKey(UUID tenantId, UUID keyId) {
        return sessions.inSession(s -> s.find(ApiKeyEntity.class, keyId)
                .map(e -> Optional.ofNullable(e).filter(k -> k.tenantId.equals(tenantId)).map(ApiKeyEntity::toRecord)));
    }

    @Override
    public Uni<Page<ApiKey>> listKeys(UUID tenantId, Cursor after, int limit) {
        String hql = "from ApiKeyEntity where tenantId = :tenant"
                + (after == null ? "" : " and (createdAt > :at or (createdAt = :at and id > :id))")
                + " order by createdAt, id";
        return sessions.inSession(s -> {
            var q = s.createSelectionQuery(hql, ApiKeyEntity.class)
                    .setParameter("tenant", tenantId)
                    .setMaxResults(limit + 1);
            if (after != null) {
                q.setParameter("at", after.at()).setParameter("id", after.id());
            }
            return q.getResultList();
        }).map(rows -> Page.of(rows.stream().map(ApiKeyEntity::toRecord).toList(), limit,
                k -> Cursor.of(k.createdAt(), k.id())));
    }

    @Override
    public Uni<Optional<ApiKey>> revokeKey(UUID tenantId, UUID keyId, Instant at) {
        return sessions.inTransaction(s -> s
                .createSelectionQuery("from ApiKeyEntity where tenantId = :tenant and id = :id", ApiKeyEntity.class)
                .setParameter("tenant", tenantId)
                .setParameter("id", keyId)
                .setLockMode(jakarta.persistence.LockModeType.PESSIMISTIC_WRITE)
                .getSingleResultOrNull()
                .map(e -> {
                    if (e == null) {
                        return Optional.<ApiKey> empty();
                    }
                    if (e.revokedAt == null) {
                        e.revokedAt = at;
                    }
                    return Optional.of(e.toRecord());
                }));
    }

    @Override
    public Uni<List<Revocation>> revokedSince(Instant since) {
        return sessions.inSession(s -> s.createSelectionQuery("select hash, revokedAt from ApiKeyEntity "
                + "where revokedAt is not null and revokedAt >= :since order by revokedAt", Object[].class)
                .setParameter("since", since)
                .getResultList())
                .map(rows -> rows.stream().map(r -> new Revocation((String) r[0], (Instant) r[1])).toList());
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
