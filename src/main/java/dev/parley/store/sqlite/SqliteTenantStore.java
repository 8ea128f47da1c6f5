package dev.parley.store.sqlite;

import static dev.parley.store.sqlite.SqliteCodec.getId;
import static dev.parley.store.sqlite.SqliteCodec.getInstant;
import static dev.parley.store.sqlite.SqliteCodec.setId;
import static dev.parley.store.sqlite.SqliteCodec.setInstant;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.ApiKey;
import dev.parley.store.Tenant;
import dev.parley.store.TenantStore;
import io.smallrye.mutiny.Uni;

@ApplicationScoped
@Typed(SqliteTenantStore.class)
public class SqliteTenantStore implements TenantStore {

    private final SqliteWriter writer;
    private final SqliteReaders readers;

    SqliteTenantStore(SqliteWriter writer, SqliteReaders readers) {
        this.writer = writer;
        this.readers = readers;
    }

    @Override
    public Uni<Void> createTenant(Tenant tenant, ApiKey firstKey) {
        return writer.submit("create-tenant", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)")) {
                setId(ps, 1, tenant.id());
                ps.setString(2, tenant.name());
                setInstant(ps, 3, tenant.createdAt());
                ps.executeUpdate();
            }
            insertKey(c, firstKey);
            return null;
        });
    }

    @Override
    public Uni<Void> createApiKey(ApiKey key) {
        return writer.submit("create-api-key", c -> {
            insertKey(c, key);
            return null;
        });
    }

    private static void insertKey(Connection c, ApiKey key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO api_keys "
                + "(id, tenant_id, name, key_prefix, key_hash, admin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            setId(ps, 1, key.id());
            setId(ps, 2, key.tenantId());
            ps.setString(3, key.name());
            ps.setString(4, key.prefix());
            ps.setString(5, key.hash());
            ps.setInt(6, key.admin() ? 1 : 0);
            setInstant(ps, 7, key.createdAt());
            ps.executeUpdate();
        }
    }

    @Override
    public Uni<Optional<ApiKey>> findActiveKey(String hash) {
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, tenant_id, name, key_prefix, key_hash, admin, "
                    + "created_at FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL")) {
                ps.setString(1, hash);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new ApiKey(getId(rs, "id"), getId(rs, "tenant_id"), rs.getString("name"),
                            rs.getString("key_prefix"), rs.getString("key_hash"), rs.getInt("admin") == 1,
                            getInstant(rs, "created_at")));
                }
            }
        });
    }

    @Override
    public Uni<Optional<Tenant>> findTenant(UUID id) {
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, name, created_at FROM tenants WHERE id = ?")) {
                setId(ps, 1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next()
                            ? Optional.of(new Tenant(getId(rs, "id"), rs.getString("name"), getInstant(rs, "created_at")))
                            : Optional.empty();
                }
            }
        });
    }

    @Override
    public Uni<Void> recordKeyUse(Map<UUID, Instant> lastUsed) {
        if (lastUsed.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return writer.submit("record-key-use", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE api_keys SET last_used_at = ? WHERE id = ? "
                    + "AND (last_used_at IS NULL OR last_used_at < ?)")) {
                for (Map.Entry<UUID, Instant> e : lastUsed.entrySet()) {
                    setInstant(ps, 1, e.getValue());
                    setId(ps, 2, e.getKey());
                    setInstant(ps, 3, e.getValue());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }
}
