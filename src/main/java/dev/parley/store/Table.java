package dev.parley.store;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A table as the operations tools see it: its columns with logical types and the single-column key rows are ordered
 * by. {@link #ALL} lists Parley's tables in dependency order (parents first); a test checks it against the migrated
 * schema of both dialects, so a new column or table cannot be silently left out of a copy.
 */
public record Table(String name, String key, List<Column> columns) {

    public record Column(String name, ColumnType type) {
    }

    public static final List<Table> ALL = List.of(
            new Table("tenants", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("name", ColumnType.TEXT),
                    new Column("created_at", ColumnType.INSTANT),
                    new Column("requests_per_minute", ColumnType.INTEGER),
                    new Column("tokens_per_minute", ColumnType.INTEGER),
                    new Column("concurrent_turns", ColumnType.INTEGER),
                    new Column("monthly_token_budget", ColumnType.INTEGER),
                    new Column("allowed_models", ColumnType.TEXT))),
            new Table("api_keys", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("name", ColumnType.TEXT),
                    new Column("key_prefix", ColumnType.TEXT),
                    new Column("key_hash", ColumnType.TEXT),
                    new Column("created_at", ColumnType.INSTANT),
                    new Column("last_used_at", ColumnType.INSTANT),
                    new Column("revoked_at", ColumnType.INSTANT),
                    new Column("scopes", ColumnType.TEXT),
                    new Column("expires_at", ColumnType.INSTANT),
                    new Column("requests_per_minute", ColumnType.INTEGER),
                    new Column("tokens_per_minute", ColumnType.INTEGER),
                    new Column("concurrent_turns", ColumnType.INTEGER),
                    new Column("monthly_token_budget", ColumnType.INTEGER))),
            new Table("conversations", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("title", ColumnType.TEXT),
                    new Column("model", ColumnType.TEXT),
                    new Column("archived", ColumnType.BOOLEAN),
                    new Column("created_at", ColumnType.INSTANT),
                    new Column("updated_at", ColumnType.INSTANT),
                    new Column("metadata", ColumnType.JSON))),
            new Table("messages", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("conversation_id", ColumnType.ID),
                    new Column("role", ColumnType.TEXT),
                    new Column("content", ColumnType.TEXT),
                    new Column("tokens_in", ColumnType.INTEGER),
                    new Column("tokens_out", ColumnType.INTEGER),
                    new Column("finish_reason", ColumnType.TEXT),
                    new Column("created_at", ColumnType.INSTANT),
                    new Column("key_id", ColumnType.ID),
                    new Column("model", ColumnType.TEXT))),
            new Table("heartbeats", "instance", List.of(
                    new Column("instance", ColumnType.TEXT),
                    new Column("beat_at", ColumnType.INSTANT))),
            // Usage: rollups and the counters limits are checked against
            new Table("usage_daily", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("key_id", ColumnType.ID),
                    new Column("model", ColumnType.TEXT),
                    new Column("day", ColumnType.TEXT),
                    new Column("finish_reason", ColumnType.TEXT),
                    new Column("turns", ColumnType.INTEGER),
                    new Column("tokens_in", ColumnType.INTEGER),
                    new Column("tokens_out", ColumnType.INTEGER))),
            new Table("usage_tenant_daily", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("model", ColumnType.TEXT),
                    new Column("day", ColumnType.TEXT),
                    new Column("finish_reason", ColumnType.TEXT),
                    new Column("turns", ColumnType.INTEGER),
                    new Column("tokens_in", ColumnType.INTEGER),
                    new Column("tokens_out", ColumnType.INTEGER))),
            new Table("usage_key_monthly", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("key_id", ColumnType.ID),
                    new Column("model", ColumnType.TEXT),
                    new Column("month", ColumnType.TEXT),
                    new Column("finish_reason", ColumnType.TEXT),
                    new Column("turns", ColumnType.INTEGER),
                    new Column("tokens_in", ColumnType.INTEGER),
                    new Column("tokens_out", ColumnType.INTEGER))),
            new Table("usage_key_only_daily", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("key_id", ColumnType.ID),
                    new Column("day", ColumnType.TEXT),
                    new Column("finish_reason", ColumnType.TEXT),
                    new Column("turns", ColumnType.INTEGER),
                    new Column("tokens_in", ColumnType.INTEGER),
                    new Column("tokens_out", ColumnType.INTEGER))),
            new Table("usage_key_only_monthly", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("key_id", ColumnType.ID),
                    new Column("month", ColumnType.TEXT),
                    new Column("finish_reason", ColumnType.TEXT),
                    new Column("turns", ColumnType.INTEGER),
                    new Column("tokens_in", ColumnType.INTEGER),
                    new Column("tokens_out", ColumnType.INTEGER))),
            new Table("usage_key_yearly", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("key_id", ColumnType.ID),
                    new Column("model", ColumnType.TEXT),
                    new Column("year", ColumnType.TEXT),
                    new Column("finish_reason", ColumnType.TEXT),
                    new Column("turns", ColumnType.INTEGER),
                    new Column("tokens_in", ColumnType.INTEGER),
                    new Column("tokens_out", ColumnType.INTEGER))),
            new Table("usage_key_only_yearly", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("key_id", ColumnType.ID),
                    new Column("year", ColumnType.TEXT),
                    new Column("finish_reason", ColumnType.TEXT),
                    new Column("turns", ColumnType.INTEGER),
                    new Column("tokens_in", ColumnType.INTEGER),
                    new Column("tokens_out", ColumnType.INTEGER))),
            new Table("usage_windows", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("subject_id", ColumnType.ID),
                    new Column("period", ColumnType.TEXT),
                    new Column("requests", ColumnType.INTEGER),
                    new Column("tokens", ColumnType.INTEGER))),
            new Table("usage_in_flight", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("subject_id", ColumnType.ID),
                    new Column("instance", ColumnType.TEXT),
                    new Column("turns", ColumnType.INTEGER))),
            // Billing: keyed by Stripe's own ids (TEXT, which both dialects order by their bytes)
            new Table("stripe_events", "event_id", List.of(
                    new Column("event_id", ColumnType.TEXT),
                    new Column("type", ColumnType.TEXT),
                    new Column("api_version", ColumnType.TEXT),
                    new Column("livemode", ColumnType.BOOLEAN),
                    new Column("created_at", ColumnType.INSTANT),
                    new Column("received_at", ColumnType.INSTANT),
                    new Column("subscription_id", ColumnType.TEXT),
                    new Column("customer_id", ColumnType.TEXT),
                    new Column("claimed_tenant", ColumnType.TEXT),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("outcome", ColumnType.TEXT),
                    new Column("payload", ColumnType.JSON))),
            new Table("billing_subscriptions", "id", List.of(
                    new Column("id", ColumnType.TEXT),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("customer_id", ColumnType.TEXT),
                    new Column("status", ColumnType.TEXT),
                    new Column("status_since", ColumnType.INSTANT),
                    new Column("price_id", ColumnType.TEXT),
                    new Column("current_period_end", ColumnType.INSTANT),
                    new Column("snapshot_status", ColumnType.TEXT),
                    new Column("last_state_event_created", ColumnType.INSTANT),
                    new Column("last_state_event_id", ColumnType.TEXT),
                    new Column("invoice_outcome", ColumnType.TEXT),
                    new Column("last_invoice_event_created", ColumnType.INSTANT),
                    new Column("last_invoice_event_id", ColumnType.TEXT),
                    new Column("created_at", ColumnType.INSTANT),
                    new Column("updated_at", ColumnType.INSTANT))),
            new Table("billing_transitions", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("subscription_id", ColumnType.TEXT),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("from_status", ColumnType.TEXT),
                    new Column("to_status", ColumnType.TEXT),
                    new Column("event_id", ColumnType.TEXT),
                    new Column("applied_at", ColumnType.INSTANT))),
            // Tenant upstreams: api_key is copied as the sealed text it is (the same encryption key opens it anywhere)
            new Table("tenant_upstreams", "id", List.of(
                    new Column("id", ColumnType.ID),
                    new Column("tenant_id", ColumnType.ID),
                    new Column("name", ColumnType.TEXT),
                    new Column("base_url", ColumnType.TEXT),
                    new Column("models", ColumnType.TEXT),
                    new Column("api_key", ColumnType.TEXT),
                    new Column("key_id", ColumnType.TEXT),
                    new Column("api_key_hint", ColumnType.TEXT),
                    new Column("created_at", ColumnType.INSTANT),
                    new Column("updated_at", ColumnType.INSTANT))));

    public static Table named(String name) {
        return ALL.stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no table " + name));
    }

    /**
     * A row from column names and values ({@code "id", id, "name", name, ...}); columns not named are NULL, so a
     * caller keeps working when a later migration adds a nullable column.
     */
    public Object[] row(Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("names and values come in pairs");
        }
        Object[] row = new Object[columns.size()];
        for (int i = 0; i < namesAndValues.length; i += 2) {
            String column = (String) namesAndValues[i];
            int index = -1;
            for (int c = 0; c < columns.size(); c++) {
                if (columns.get(c).name().equals(column)) {
                    index = c;
                }
            }
            if (index < 0) {
                throw new IllegalArgumentException(name + " has no column " + column);
            }
            row[index] = namesAndValues[i + 1];
        }
        return row;
    }

    /** Refuses a row that does not hold one value per column: a short row would silently copy NULLs. */
    public Object[] checked(Object[] row) {
        if (row.length != columns.size()) {
            throw new IllegalArgumentException(name + " rows have " + columns.size() + " values, not " + row.length);
        }
        return row;
    }

    public String columnList() {
        return columns.stream().map(Column::name).collect(Collectors.joining(", "));
    }

    public int keyIndex() {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(key)) {
                return i;
            }
        }
        throw new IllegalStateException(name + " has no column " + key);
    }

    public ColumnType keyType() {
        return columns.get(keyIndex()).type();
    }
}
