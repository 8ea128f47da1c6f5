package dev.parley.store.sqlite;

import static dev.parley.store.sqlite.SqliteCodec.getId;
import static dev.parley.store.sqlite.SqliteCodec.setId;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.ApiKey;
import dev.parley.store.Limits;
import dev.parley.store.UsageStore;
import io.smallrye.mutiny.Uni;

@ApplicationScoped
@Typed(SqliteUsageStore.class)
public class SqliteUsageStore implements UsageStore {

    private static final String LIMIT_COLUMNS = "requests_per_minute, tokens_per_minute, concurrent_turns, "
            + "monthly_token_budget";

    private final SqliteWriter writer;
    private final SqliteReaders readers;

    SqliteUsageStore(SqliteWriter writer, SqliteReaders readers) {
        this.writer = writer;
        this.readers = readers;
    }

    static Limits limits(ResultSet rs) throws SQLException {
        return new Limits(nullable(rs, "requests_per_minute"), nullable(rs, "tokens_per_minute"),
                nullable(rs, "concurrent_turns"), nullable(rs, "monthly_token_budget"));
    }

    private static Long nullable(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    static void bindLimits(PreparedStatement ps, int first, Limits l) throws SQLException {
        Long[] values = { l.requestsPerMinute(), l.tokensPerMinute(), l.concurrentTurns(), l.monthlyTokenBudget() };
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                ps.setNull(first + i, Types.INTEGER);
            } else {
                ps.setLong(first + i, values[i]);
            }
        }
    }

    @Override
    public Uni<Optional<Limits>> tenantLimits(UUID tenantId) {
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + LIMIT_COLUMNS + " FROM tenants WHERE id = ?")) {
                setId(ps, 1, tenantId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(limits(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public Uni<Boolean> setTenantLimits(UUID tenantId, Limits limits) {
        return writer.submit("set-tenant-limits", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE tenants SET requests_per_minute = ?, "
                    + "tokens_per_minute = ?, concurrent_turns = ?, monthly_token_budget = ? WHERE id = ?")) {
                bindLimits(ps, 1, limits);
                setId(ps, 5, tenantId);
                return ps.executeUpdate() > 0;
            }
        });
    }

    @Override
    public Uni<Optional<ApiKey>> setKeyLimits(UUID tenantId, UUID keyId, Limits limits) {
        return writer.submit("set-key-limits", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE api_keys SET requests_per_minute = ?, "
                    + "tokens_per_minute = ?, concurrent_turns = ?, monthly_token_budget = ? WHERE tenant_id = ? "
                    + "AND id = ?")) {
                bindLimits(ps, 1, limits);
                setId(ps, 5, tenantId);
                setId(ps, 6, keyId);
                if (ps.executeUpdate() == 0) {
                    return Optional.<ApiKey> empty();
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT " + SqliteTenantStore.KEY_COLUMNS
                    + " FROM api_keys WHERE id = ?")) {
                setId(ps, 1, keyId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return Optional.of(SqliteTenantStore.key(rs));
                }
            }
        });
    }

    @Override
    public Uni<List<Row>> sum(Sum q) {
        String table = q.grain().table();
        String period = q.grain().period();
        String list = String.join(", ", q.groupColumns());
        String sql = "SELECT " + list + (q.rowPerGroup() ? ", turns, tokens_in, tokens_out"
                : ", sum(turns) AS turns, sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out") + " FROM "
                + table + " WHERE " + (q.tenantId() == null ? "" : "tenant_id = ? AND ") + period
                + (q.onePeriod() ? " = ?" : " BETWEEN ? AND ?")
                + (q.rowPerGroup() ? "" : " GROUP BY " + list);
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                if (q.tenantId() != null) {
                    setId(ps, i++, q.tenantId());
                }
                ps.setString(i++, q.from());
                if (!q.onePeriod()) {
                    ps.setString(i, q.to());
                }
                List<Row> rows = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Row(q.byTenant() ? getId(rs, "tenant_id") : null,
                                q.byPeriod() ? rs.getString(period) : null, q.byModel() ? rs.getString("model") : null,
                                q.byKey() ? getId(rs, "key_id") : null, rs.getString("finish_reason"),
                                rs.getLong("turns"), rs.getLong("tokens_in"), rs.getLong("tokens_out")));
                    }
                }
                return rows;
            }
        });
    }

    @Override
    public Uni<Integer> pruneMinutes(String minute) {
        return writer.submit("prune-usage-minutes", c -> {
            // minute periods have a 'T'; months do not, and are kept
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM usage_windows WHERE period LIKE '%T%' "
                    + "AND period < ?")) {
                ps.setString(1, minute);
                return ps.executeUpdate();
            }
        });
    }

    @Override
    public Uni<Integer> pruneInFlight(String self, java.time.Instant silentSince) {
        return writer.submit("prune-usage-in-flight", c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM usage_in_flight WHERE instance <> ? AND NOT "
                    + "EXISTS (SELECT 1 FROM heartbeats h WHERE h.instance = usage_in_flight.instance "
                    + "AND h.beat_at >= ?)")) {
                ps.setString(1, self);
                SqliteCodec.setInstant(ps, 2, silentSince);
                return ps.executeUpdate();
            }
        });
    }
}
