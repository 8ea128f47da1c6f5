package dev.parley.store.postgres;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.TenantUpstream;
import dev.parley.store.UpstreamStore;
import io.quarkus.arc.InjectableInstance;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

@ApplicationScoped
@Typed(PgUpstreamStore.class)
public class PgUpstreamStore implements UpstreamStore {

    private static final String COLUMNS = "id, tenant_id, name, base_url, models, api_key, key_id, api_key_hint, "
            + "created_at, updated_at";

    private final InjectableInstance<Pool> pool;

    PgUpstreamStore(InjectableInstance<Pool> pool) {
        this.pool = pool;
    }

    private static TenantUpstream upstream(Row r) {
        return new TenantUpstream(r.getUUID("id"), r.getUUID("tenant_id"), r.getString("name"),
                r.getString("base_url"), TenantUpstream.parseModels(r.getString("models")), r.getString("api_key"),
                r.getString("key_id"), r.getString("api_key_hint"), instant(r, "created_at"),
                instant(r, "updated_at"));
    }

    private static Instant instant(Row r, String column) {
        OffsetDateTime at = r.getOffsetDateTime(column);
        return at == null ? null : at.toInstant();
    }

    private static OffsetDateTime at(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    @Override
    public Uni<Void> create(TenantUpstream u) {
        return pool.get().preparedQuery("INSERT INTO tenant_upstreams (" + COLUMNS
                + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .execute(Tuple.from(List.of(u.id(), u.tenantId(), u.name(), u.baseUrl(), u.modelList(),
                        u.sealedKey(), u.keyId(), u.keyHint(), at(u.createdAt()), at(u.updatedAt()))))
                .replaceWithVoid();
    }

    @Override
    public Uni<List<TenantUpstream>> list(UUID tenantId) {
        return pool.get().preparedQuery("SELECT " + COLUMNS + " FROM tenant_upstreams WHERE tenant_id = $1 "
                + "ORDER BY created_at, id").execute(Tuple.of(tenantId))
                .map(rows -> {
                    List<TenantUpstream> list = new ArrayList<>(rows.size());
                    rows.forEach(r -> list.add(upstream(r)));
                    return list;
                });
    }

    @Override
    public Uni<Optional<TenantUpstream>> find(UUID tenantId, UUID id) {
        return pool.get().preparedQuery("SELECT " + COLUMNS + " FROM tenant_upstreams WHERE tenant_id = $1 "
                + "AND id = $2").execute(Tuple.of(tenantId, id))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(upstream(rows.iterator().next())));
    }

    @Override
    public Uni<Boolean> replace(TenantUpstream u) {
        return pool.get().preparedQuery("UPDATE tenant_upstreams SET name = $1, base_url = $2, models = $3, "
                + "api_key = $4, key_id = $5, api_key_hint = $6, updated_at = $7 WHERE tenant_id = $8 AND id = $9")
                .execute(Tuple.from(List.of(u.name(), u.baseUrl(), u.modelList(), u.sealedKey(), u.keyId(),
                        u.keyHint(), at(u.updatedAt()), u.tenantId(), u.id())))
                .map(rows -> rows.rowCount() > 0);
    }

    @Override
    public Uni<Boolean> delete(UUID tenantId, UUID id) {
        return pool.get().preparedQuery("DELETE FROM tenant_upstreams WHERE tenant_id = $1 AND id = $2")
                .execute(Tuple.of(tenantId, id)).map(rows -> rows.rowCount() > 0);
    }

    @Override
    public Uni<Set<String>> keyIds() {
        return pool.get().query("SELECT DISTINCT key_id FROM tenant_upstreams").execute().map(rows -> {
            Set<String> ids = new LinkedHashSet<>();
            rows.forEach(r -> ids.add(r.getString(0)));
            return ids;
        });
    }

    @Override
    public Uni<Optional<ModelAllowlist>> allowedModels(UUID tenantId) {
        return pool.get().preparedQuery("SELECT allowed_models FROM tenants WHERE id = $1").execute(Tuple.of(tenantId))
                .map(rows -> rows.size() == 0 ? Optional.empty()
                        : Optional.of(ModelAllowlist.ofColumn(rows.iterator().next().getString(0))));
    }

    @Override
    public Uni<Boolean> setAllowedModels(UUID tenantId, ModelAllowlist allowlist) {
        return pool.get().preparedQuery("UPDATE tenants SET allowed_models = $1 WHERE id = $2")
                .execute(Tuple.of(allowlist.column(), tenantId)).map(rows -> rows.rowCount() > 0);
    }
}
