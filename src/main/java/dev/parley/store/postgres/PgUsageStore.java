package dev.parley.store.postgres;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.ApiKey;
import dev.parley.store.Limits;
import dev.parley.store.UsageStore;
import io.quarkus.arc.InjectableInstance;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

@ApplicationScoped
@Typed(PgUsageStore.class)
public class PgUsageStore implements UsageStore {

    private static final String LIMITS = "requests_per_minute, tokens_per_minute, concurrent_turns, "
            + "monthly_token_budget";

    private final InjectableInstance<Pool> pool;
    private final PgTenantStore tenants;

    PgUsageStore(InjectableInstance<Pool> pool, PgTenantStore tenants) {
        this.pool = pool;
        this.tenants = tenants;
    }

    private static Limits limits(io.vertx.mutiny.sqlclient.Row r) {
        return new Limits(r.getLong("requests_per_minute"), r.getLong("tokens_per_minute"),
                r.getLong("concurrent_turns"), r.getLong("monthly_token_budget"));
    }

    private static List<Object> values(Limits l) {
        return Arrays.asList(l.requestsPerMinute(), l.tokensPerMinute(), l.concurrentTurns(), l.monthlyTokenBudget());
    }

    @Override
    public Uni<Optional<Limits>> tenantLimits(UUID tenantId) {
        return pool.get().preparedQuery("SELECT " + LIMITS + " FROM tenants WHERE id = $1").execute(Tuple.of(tenantId))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(limits(rows.iterator().next())));
    }

    @Override
    public Uni<Boolean> setTenantLimits(UUID tenantId, Limits limits) {
        List<Object> params = new ArrayList<>(values(limits));
        params.add(tenantId);
        return pool.get().preparedQuery("UPDATE tenants SET requests_per_minute = $1, tokens_per_minute = $2, "
                + "concurrent_turns = $3, monthly_token_budget = $4 WHERE id = $5").execute(Tuple.from(params))
                .map(rows -> rows.rowCount() > 0);
    }

    @Override
    public Uni<Optional<ApiKey>> setKeyLimits(UUID tenantId, UUID keyId, Limits limits) {
        List<Object> params = new ArrayList<>(values(limits));
        params.add(tenantId);
        params.add(keyId);
        return pool.get().preparedQuery("UPDATE api_keys SET requests_per_minute = $1, tokens_per_minute = $2, "
                + "concurrent_turns = $3, monthly_token_budget = $4 WHERE tenant_id = $5 AND id = $6 RETURNING key_hash")
                .execute(Tuple.from(params))
                .chain(rows -> rows.size() == 0 ? Uni.createFrom().item(Optional.<ApiKey> empty())
                        : tenants.findKey(rows.iterator().next().getString("key_hash")));
    }

    @Override
    public Uni<List<UsageStore.Row>> sum(Sum q) {
        String table = q.grain().table();
        String period = q.grain().period();
        String list = String.join(", ", q.groupColumns());
        List<Object> params = new ArrayList<>();
        if (q.tenantId() != null) {
            params.add(q.tenantId());
        }
        params.add(q.from());
        if (!q.onePeriod()) {
            params.add(q.to());
        }
        int n = params.size();
        String sql = "SELECT " + list + (q.rowPerGroup() ? ", turns, tokens_in, tokens_out"
                : ", sum(turns) AS turns, sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out") + " FROM "
                + table + " WHERE " + (q.tenantId() == null ? "" : "tenant_id = $1 AND ") + period
                + (q.onePeriod() ? " = $" + n : " BETWEEN $" + (n - 1) + " AND $" + n)
                + (q.rowPerGroup() ? "" : " GROUP BY " + list);
        return pool.get().preparedQuery(sql).execute(Tuple.from(params)).map(rows -> {
            List<UsageStore.Row> out = new ArrayList<>(rows.size());
            for (io.vertx.mutiny.sqlclient.Row r : rows) {
                out.add(new UsageStore.Row(q.byTenant() ? r.getUUID("tenant_id") : null,
                        q.byPeriod() ? r.getString(period) : null, q.byModel() ? r.getString("model") : null,
                        q.byKey() ? r.getUUID("key_id") : null, r.getString("finish_reason"), r.getLong("turns"),
                        r.getLong("tokens_in"), r.getLong("tokens_out")));
            }
            return out;
        });
    }

    @Override
    public Uni<Integer> pruneMinutes(String minute) {
        // minute periods have a 'T'; months do not, and are kept
        return pool.get().preparedQuery("DELETE FROM usage_windows WHERE period LIKE '%T%' AND period < $1")
                .execute(Tuple.of(minute)).map(rows -> rows.rowCount());
    }

    @Override
    public Uni<Integer> pruneInFlight(String self, java.time.Instant silentSince) {
        // a silent process's rows go, and their turns leave the subjects' totals (PgTurnStore.TOTAL), in one statement;
        // like every statement that locks in-flight rows, the processes' rows first, then the totals (which read them)
        return pool.get().preparedQuery("WITH dead AS (DELETE FROM usage_in_flight f WHERE f.instance <> $1 "
                + "AND f.instance <> $3 AND NOT EXISTS (SELECT 1 FROM heartbeats h WHERE h.instance = f.instance "
                + "AND h.beat_at >= $2) RETURNING subject_id, turns), "
                + "lost AS (SELECT subject_id, sum(turns) AS turns FROM dead GROUP BY subject_id), "
                + "totals AS (UPDATE usage_in_flight t SET turns = greatest(t.turns - lost.turns, 0) FROM lost "
                + "WHERE t.subject_id = lost.subject_id AND t.instance = $3 RETURNING 1) "
                + "SELECT count(*) AS dead FROM dead")
                .execute(Tuple.of(self, PgTurnStore.at(silentSince), PgTurnStore.TOTAL))
                .map(rows -> (int) rows.iterator().next().getLong("dead").longValue());
    }
}
