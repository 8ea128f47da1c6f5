package dev.parley.store;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.smallrye.mutiny.Uni;

/** Limits as stored, and sums over the usage rollups (never over messages). */
public interface UsageStore {

    /** The tenant's own limits (as an admin set them), or empty when there is no such tenant. */
    Uni<Optional<Limits>> tenantLimits(UUID tenantId);

    /** Replaces the tenant's limits; false when there is no such tenant. */
    Uni<Boolean> setTenantLimits(UUID tenantId, Limits limits);

    /** Replaces the limits of one of the tenant's keys; empty when the tenant has no such key. */
    Uni<Optional<ApiKey>> setKeyLimits(UUID tenantId, UUID keyId, Limits limits);

    /** Which rollup table a sum reads: the finest that answers the question, the coarsest that is exact for it. */
    enum Grain {
        /** Per tenant, key, model, day. */
        KEY_DAY("usage_daily", "day", true),
        /** Per tenant, model, day (no key). */
        TENANT_DAY("usage_tenant_daily", "day", true),
        /** Per tenant, key, model, month. */
        KEY_MONTH("usage_key_monthly", "month", true),
        /** Per tenant, key, day, all models together: reports by key without model read a tenth of the rows. */
        KEY_ONLY_DAY("usage_key_only_daily", "day", false),
        /** Per tenant, key, month, all models together. */
        KEY_ONLY_MONTH("usage_key_only_monthly", "month", false),
        /** Per tenant, key, model, calendar year. */
        KEY_YEAR("usage_key_yearly", "year", true),
        /** Per tenant, key, calendar year, all models together. */
        KEY_ONLY_YEAR("usage_key_only_yearly", "year", false);

        private final String table;
        private final String period;
        private final boolean hasModel;

        Grain(String table, String period, boolean hasModel) {
            this.table = table;
            this.period = period;
            this.hasModel = hasModel;
        }

        public String table() {
            return table;
        }

        /** The period column: {@code day}, {@code month} or {@code year}. */
        public String period() {
            return period;
        }

        public boolean hasModel() {
            return hasModel;
        }
    }

    /**
     * Sums rollups of {@code grain} over a period range ({@code from} to {@code to} inclusive, days 'YYYY-MM-DD',
     * months 'YYYY-MM' or years 'YYYY' as the grain has them), for one tenant (null: every tenant), grouped by the
     * asked dimensions and always by finish reason. Dimensions not asked come back null. One period is read by
     * equality, so the rows come in the grouping index's order and need no sort.
     */
    record Sum(Grain grain, UUID tenantId, String from, String to, boolean byTenant, boolean byPeriod,
            boolean byModel, boolean byKey) {
        public Sum {
            if (byModel && !grain.hasModel()) {
                throw new IllegalArgumentException(grain + " has no model to group by");
            }
        }

        /**
         * Whether every row the sum reads is a group of its own: one period, one tenant (or grouped by tenant), and
         * grouped by every other dimension the grain has. Then it needs no aggregation, only the rows.
         */
        public boolean rowPerGroup() {
            return onePeriod() && (tenantId != null || byTenant) && byKey && (byModel || !grain.hasModel());
        }

        /** Whether the sum reads one period, by equality. */
        public boolean onePeriod() {
            return from.equals(to);
        }

        /**
         * The columns to group by (and select), in the order of the rollups' grouping indexes (period, key, model,
         * finish reason), which read one period in that order: grouped as it comes, without a sort.
         */
        public List<String> groupColumns() {
            List<String> columns = new java.util.ArrayList<>();
            if (byTenant) {
                columns.add("tenant_id");
            }
            if (byPeriod) {
                columns.add(grain.period());
            }
            if (byKey) {
                columns.add("key_id");
            }
            if (byModel) {
                columns.add("model");
            }
            columns.add("finish_reason");
            return columns;
        }
    }

    /** One group of a {@link Sum}; {@code period} is the day, month or year. */
    record Row(UUID tenantId, String period, String model, UUID keyId, String finishReason, long turns,
            long tokensIn, long tokensOut) {
    }

    Uni<List<Row>> sum(Sum query);

    /** Forgets per-minute counters of minutes before {@code minute} ('YYYY-MM-DDTHH:MM'); returns how many. */
    Uni<Integer> pruneMinutes(String minute);

    /**
     * Forgets the turns in flight of processes other than {@code self} with no heartbeat since {@code silentSince}
     * (they died): on SQLite their turns stopped counting when they fell silent, on PostgreSQL they leave the
     * subjects' totals now; returns how many of the processes' rows went.
     */
    Uni<Integer> pruneInFlight(String self, java.time.Instant silentSince);
}
