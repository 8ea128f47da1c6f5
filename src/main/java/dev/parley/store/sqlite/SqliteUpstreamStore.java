package dev.parley.store.sqlite;

import static dev.parley.store.sqlite.SqliteCodec.getId;
import static dev.parley.store.sqlite.SqliteCodec.getInstant;
import static dev.parley.store.sqlite.SqliteCodec.setId;
import static dev.parley.store.sqlite.SqliteCodec.setInstant;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
import io.smallrye.mutiny.Uni;

@ApplicationScoped
@Typed(SqliteUpstreamStore.class)
public class SqliteUpstreamStore implements UpstreamStore {

    private static final String COLUMNS = "id, tenant_id, name, base_url, models, api_key, key_id, api_key_hint, "
            + "created_at, updated_at";

    private final SqliteWriter writer;
    private final SqliteReaders readers;

    SqliteUpstreamStore(SqliteWriter writer, SqliteReaders readers) {
        this.writer = writer;
        this.readers = readers;
    }

    private static TenantUpstream upstream(ResultSet rs) throws SQLException {
        return new TenantUpstream(getId(rs, "id"), getId(rs, "tenant_id"), rs.getString("name"),
                rs.getString("base_url"), TenantUpstream.parseModels(rs.getString("models")), rs.getString("api_key"),
                rs.getString("key_id"), rs.getString("api_key_hint"), getInstant(rs, "created_at"),
                getInstant(rs, "updated_at"));
    }

    @Override
    public Uni<Void> create(TenantUpstream u) {
        return writer.submit("create-upstream", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO tenant_upstreams (" + COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                setId(ps, 1, u.id());
                setId(ps, 2, u.tenantId());
                ps.setString(3, u.name());
                ps.setString(4, u.baseUrl());
                ps.setString(5, u.modelList());
                ps.setString(6, u.sealedKey());
                ps.setString(7, u.keyId());
                ps.setString(8, u.keyHint());
                setInstant(ps, 9, u.createdAt());
                setInstant(ps, 10, u.updatedAt());
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Uni<List<TenantUpstream>> list(UUID tenantId) {
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM tenant_upstreams "
                    + "WHERE tenant_id = ? ORDER BY created_at, id")) {
                setId(ps, 1, tenantId);
                List<TenantUpstream> rows = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(upstream(rs));
                    }
                }
                return rows;
            }
        });
    }

    @Override
    public Uni<Optional<TenantUpstream>> find(UUID tenantId, UUID id) {
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM tenant_upstreams "
                    + "WHERE tenant_id = ? AND id = ?")) {
                setId(ps, 1, tenantId);
                setId(ps, 2, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(upstream(rs)) : Optional.<TenantUpstream> empty();
                }
            }
        });
    }

    @Override
    public Uni<Boolean> replace(TenantUpstream u) {
        return writer.submit("replace-upstream", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE tenant_upstreams SET name = ?, base_url = ?, "
                    + "models = ?, api_key = ?, key_id = ?, api_key_hint = ?, updated_at = ? "
                    + "WHERE tenant_id = ? AND id = ?")) {
                ps.setString(1, u.name());
                ps.setString(2, u.baseUrl());
                ps.setString(3, u.modelList());
                ps.setString(4, u.sealedKey());
                ps.setString(5, u.keyId());
                ps.setString(6, u.keyHint());
                setInstant(ps, 7, u.updatedAt());
                setId(ps, 8, u.tenantId());
                setId(ps, 9, u.id());
                return ps.executeUpdate() > 0;
            }
        });
    }

    @Override
    public Uni<Boolean> delete(UUID tenantId, UUID id) {
        return writer.submit("delete-upstream", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM tenant_upstreams WHERE tenant_id = ? AND id = ?")) {
                setId(ps, 1, tenantId);
                setId(ps, 2, id);
                return ps.executeUpdate() > 0;
            }
        });
    }

    @Override
    public Uni<Set<String>> keyIds() {
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT key_id FROM tenant_upstreams")) {
                Set<String> ids = new LinkedHashSet<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
                return ids;
            }
        });
    }

    @Override
    public Uni<Optional<ModelAllowlist>> allowedModels(UUID tenantId) {
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT allowed_models FROM tenants WHERE id = ?")) {
                setId(ps, 1, tenantId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(ModelAllowlist.ofColumn(rs.getString(1)))
                            : Optional.<ModelAllowlist> empty();
                }
            }
        });
    }

    @Override
    public Uni<Boolean> setAllowedModels(UUID tenantId, ModelAllowlist allowlist) {
        return writer.submit("set-allowed-models", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE tenants SET allowed_models = ? WHERE id = ?")) {
                ps.setString(1, allowlist.column());
                setId(ps, 2, tenantId);
                return ps.executeUpdate() > 0;
            }
        });
    }
}
