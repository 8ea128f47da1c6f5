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
import java.util.ArrayList;
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
import io.smallrye.mutiny.Uni;

@ApplicationScoped
@Typed(SqliteTenantStore.class)
public class SqliteTenantStore implements TenantStore {

    static final String KEY_COLUMNS = "id, tenant_id, name, key_prefix, key_hash, scopes, created_at, "
            + "expires_at, last_used_at, revoked_at, requests_per_minute, tokens_per_minute, concurrent_turns, "
            + "monthly_token_budget";

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
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO api_keys (" + KEY_COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            setId(ps, 1, key.id());
            setId(ps, 2, key.tenantId());
            ps.setString(3, key.name());
            ps.setString(4, key.prefix());
            ps.setString(5, key.hash());
            ps.setString(6, key.scopeList());
            setInstant(ps, 7, key.createdAt());
            setInstant(ps, 8, key.expiresAt());
            setInstant(ps, 9, key.lastUsedAt());
            setInstant(ps, 10, key.revokedAt());
            SqliteUsageStore.bindLimits(ps, 11, key.limits());
            ps.executeUpdate();
        }
    }

    static ApiKey key(ResultSet rs) throws SQLException {
        return new ApiKey(getId(rs, "id"), getId(rs, "tenant_id"), rs.getString("name"), rs.getString("key_prefix"),
                rs.getString("key_hash"), ApiKey.parseScopes(rs.getString("scopes")), getInstant(rs, "created_at"),
                getInstant(rs, "expires_at"), getInstant(rs, "last_used_at"), getInstant(rs, "revoked_at"),
                SqliteUsageStore.limits(rs));
    }

    @Override
    public Uni<Optional<ApiKey>> findKey(String hash) {
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + KEY_COLUMNS
                    + " FROM api_keys WHERE key_hash = ?")) {
                ps.setString(1, hash);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(key(rs)) : Optional.empty();
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
    public Uni<Optional<ApiKey>> findKey(UUID tenantId, UUID keyId) {
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + KEY_COLUMNS
                    + " FROM api_keys WHERE tenant_id = ? AND id = ?")) {
                setId(ps, 1, tenantId);
                setId(ps, 2, keyId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(key(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public Uni<Page<ApiKey>> listKeys(UUID tenantId, Cursor after, int limit) {
        return readers.read(c -> {
            String sql = "SELECT " + KEY_COLUMNS + " FROM api_keys WHERE tenant_id = ?"
                    + (after == null ? "" : " AND (created_at > ? OR (created_at = ? AND id > ?))")
                    + " ORDER BY created_at, id LIMIT ?";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                setId(ps, i++, tenantId);
                if (after != null) {
                    setInstant(ps, i++, after.at());
                    setInstant(ps, i++, after.at());
                    setId(ps, i++, after.id());
                }
                ps.setInt(i, limit + 1);
                List<ApiKey> rows = new ArrayList<>(limit + 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(key(rs));
                    }
                }
                return Page.of(rows, limit, k -> Cursor.of(k.createdAt(), k.id()));
            }
        });
    }

    @Override
    public Uni<Optional<ApiKey>> revokeKey(UUID tenantId, UUID keyId, Instant at) {
        return writer.submit("revoke-api-key", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) "
                    + "WHERE tenant_id = ? AND id = ?")) {
                setInstant(ps, 1, at);
                setId(ps, 2, tenantId);
                setId(ps, 3, keyId);
                if (ps.executeUpdate() == 0) {
                    return Optional.<ApiKey> empty();
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT " + KEY_COLUMNS + " FROM api_keys WHERE id = ?")) {
                setId(ps, 1, keyId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return Optional.of(key(rs));
                }
            }
        });
    }

    @Override
    public Uni<List<Revocation>> revokedSince(Instant since) {
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT key_hash, revoked_at FROM api_keys "
                    + "WHERE revoked_at IS NOT NULL AND revoked_at >= ? ORDER BY revoked_at")) {
                setInstant(ps, 1, since);
                List<Revocation> rows = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Revocation(rs.getString(1), getInstant(rs, "revoked_at")));
                    }
                }
                return rows;
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
