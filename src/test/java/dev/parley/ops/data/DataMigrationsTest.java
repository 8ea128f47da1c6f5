package dev.parley.ops.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.parley.store.ColumnType;
import dev.parley.store.DatabaseUrl;
import dev.parley.store.UuidV7;
import dev.parley.testing.Dialects;

/**
 * Migrations that change stored data do so alike on both dialects: V5 gives existing keys the scopes of what they
 * could do, and V6 (with V11's grains across models) counts the replies stored before it, its rollups of every grain
 * equal to a recomputation from those messages (across a month boundary, with the nil key for replies whose key is
 * unknown).
 */
class DataMigrationsTest {

    private static final UUID UNKNOWN_KEY = new UUID(0, 0);

    @TempDir
    Path dir;

    private record Reply(UUID tenant, String model, Instant at, String finishReason, long in, long out) {
    }

    @ParameterizedTest
    @ValueSource(strings = { "sqlite", "postgresql" })
    void theMigrationCountsEveryReplyStoredBeforeIt(String backend) throws Exception {
        DatabaseUrl url = backend.equals("sqlite") ? SampleData.sqliteFile(dir, "before-usage.db")
                : SampleData.newPostgres();
        try (OpsDatabase db = OpsDatabase.open(Dialects.of(url), true, true)) {
            Flyway.configure().configuration(db.flyway().getConfiguration()).target("5").load().migrate();
            UUID t1 = UuidV7.next();
            UUID t2 = UuidV7.next();
            insert(db, "INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)",
                    new ColumnType[] { ColumnType.ID, ColumnType.TEXT, ColumnType.INSTANT },
                    List.of(new Object[] { t1, "one", Instant.EPOCH }, new Object[] { t2, "two", Instant.EPOCH }));
            Instant lastOfJanuary = Instant.parse("2026-01-31T23:59:59.999999Z");
            Instant firstOfFebruary = Instant.parse("2026-02-01T00:00:00Z");
            Map<UUID, Object[]> conversations = Map.of(UuidV7.next(), new Object[] { t1, "demo" }, UuidV7.next(),
                    new Object[] { t1, "model-é" }, UuidV7.next(), new Object[] { t2, "demo" });
            List<Reply> replies = new java.util.ArrayList<>();
            List<Object[]> convRows = new java.util.ArrayList<>();
            List<Object[]> msgRows = new java.util.ArrayList<>();
            String[] reasons = { null, "stop", "length", "client_disconnected", "provider_error" };
            int n = 0;
            for (Map.Entry<UUID, Object[]> c : conversations.entrySet()) {
                UUID tenant = (UUID) c.getValue()[0];
                String model = (String) c.getValue()[1];
                convRows.add(new Object[] { c.getKey(), tenant, "t", model, false, Instant.EPOCH, Instant.EPOCH });
                for (int i = 0; i < 40; i++, n++) {
                    Instant at = (i % 3 == 0 ? lastOfJanuary : firstOfFebruary).plusSeconds(i % 3 == 2 ? 86_400 : 0);
                    msgRows.add(new Object[] { UuidV7.next(), tenant, c.getKey(), "user", "q", 0L, 0L, null, at });
                    String reason = reasons[n % reasons.length];
                    long in = 10 + n;
                    long out = n % 7;
                    msgRows.add(new Object[] { UuidV7.next(), tenant, c.getKey(), "assistant", "a", in, out, reason,
                            at });
                    replies.add(new Reply(tenant, model, at, reason == null ? "stop" : reason, in, out));
                }
            }
            insert(db, "INSERT INTO conversations (id, tenant_id, title, model, archived, created_at, updated_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?)", new ColumnType[] { ColumnType.ID, ColumnType.ID,
                            ColumnType.TEXT, ColumnType.TEXT, ColumnType.BOOLEAN, ColumnType.INSTANT,
                            ColumnType.INSTANT }, convRows);
            insert(db, "INSERT INTO messages (id, tenant_id, conversation_id, role, content, tokens_in, tokens_out, "
                    + "finish_reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", new ColumnType[] {
                            ColumnType.ID, ColumnType.ID, ColumnType.ID, ColumnType.TEXT, ColumnType.TEXT,
                            ColumnType.INTEGER, ColumnType.INTEGER, ColumnType.TEXT, ColumnType.INSTANT }, msgRows);

            Migrations.apply(db.flyway(), Optional::empty, line -> {
            });

            Map<String, List<Long>> daily = new TreeMap<>();
            Map<String, List<Long>> tenantDaily = new TreeMap<>();
            Map<String, List<Long>> keyMonthly = new TreeMap<>();
            Map<String, List<Long>> keyOnlyDaily = new TreeMap<>();
            Map<String, List<Long>> keyOnlyMonthly = new TreeMap<>();
            Map<String, List<Long>> keyYearly = new TreeMap<>();
            Map<String, List<Long>> keyOnlyYearly = new TreeMap<>();
            for (Reply r : replies) {
                String day = r.at().atOffset(ZoneOffset.UTC).toLocalDate().toString();
                add(daily, r.tenant() + "|" + UNKNOWN_KEY + "|" + r.model() + "|" + day + "|" + r.finishReason(), r);
                add(tenantDaily, r.tenant() + "|" + r.model() + "|" + day + "|" + r.finishReason(), r);
                add(keyMonthly, r.tenant() + "|" + UNKNOWN_KEY + "|" + r.model() + "|" + day.substring(0, 7) + "|"
                        + r.finishReason(), r);
                add(keyOnlyDaily, r.tenant() + "|" + UNKNOWN_KEY + "|" + day + "|" + r.finishReason(), r);
                add(keyOnlyMonthly, r.tenant() + "|" + UNKNOWN_KEY + "|" + day.substring(0, 7) + "|"
                        + r.finishReason(), r);
                add(keyYearly, r.tenant() + "|" + UNKNOWN_KEY + "|" + r.model() + "|" + day.substring(0, 4) + "|"
                        + r.finishReason(), r);
                add(keyOnlyYearly, r.tenant() + "|" + UNKNOWN_KEY + "|" + day.substring(0, 4) + "|" + r.finishReason(),
                        r);
            }
            assertThat(daily.keySet().stream().map(k -> k.split("\\|")[3]).distinct())
                    .containsExactlyInAnyOrder("2026-01-31", "2026-02-01", "2026-02-02");
            assertThat(read(db, "SELECT tenant_id, key_id, model, day, finish_reason, turns, tokens_in, tokens_out "
                    + "FROM usage_daily", true)).isEqualTo(daily);
            assertThat(read(db, "SELECT tenant_id, model, day, finish_reason, turns, tokens_in, tokens_out "
                    + "FROM usage_tenant_daily", false)).isEqualTo(tenantDaily);
            assertThat(read(db, "SELECT tenant_id, key_id, model, month, finish_reason, turns, tokens_in, tokens_out "
                    + "FROM usage_key_monthly", true)).isEqualTo(keyMonthly);
            // V11's grains across models, backfilled from those
            assertThat(read(db, "SELECT tenant_id, key_id, day, finish_reason, turns, tokens_in, tokens_out "
                    + "FROM usage_key_only_daily", true, 2)).isEqualTo(keyOnlyDaily);
            assertThat(read(db, "SELECT tenant_id, key_id, month, finish_reason, turns, tokens_in, tokens_out "
                    + "FROM usage_key_only_monthly", true, 2)).isEqualTo(keyOnlyMonthly);
            // V14's yearly grains, backfilled from the monthly ones
            assertThat(read(db, "SELECT tenant_id, key_id, model, year, finish_reason, turns, tokens_in, tokens_out "
                    + "FROM usage_key_yearly", true)).isEqualTo(keyYearly);
            assertThat(read(db, "SELECT tenant_id, key_id, year, finish_reason, turns, tokens_in, tokens_out "
                    + "FROM usage_key_only_yearly", true, 2)).isEqualTo(keyOnlyYearly);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "sqlite", "postgresql" })
    void existingKeysKeepWhatTheyCouldDoAsScopesAndOperatorChosenKeysLoseTheirStoredPrefix(String backend)
            throws Exception {
        DatabaseUrl url = backend.equals("sqlite") ? SampleData.sqliteFile(dir, "before-scopes.db")
                : SampleData.newPostgres();
        try (OpsDatabase db = OpsDatabase.open(Dialects.of(url), true, true)) {
            Flyway.configure().configuration(db.flyway().getConfiguration()).target("3").load().migrate();
            UUID tenant = UuidV7.next();
            insert(db, "INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)",
                    new ColumnType[] { ColumnType.ID, ColumnType.TEXT, ColumnType.INSTANT },
                    List.<Object[]> of(new Object[] { tenant, "one", Instant.EPOCH }));
            UUID admin = UuidV7.next();
            UUID user = UuidV7.next();
            insert(db, "INSERT INTO api_keys (id, tenant_id, name, key_prefix, key_hash, admin, created_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?)", new ColumnType[] { ColumnType.ID, ColumnType.ID, ColumnType.TEXT,
                            ColumnType.TEXT, ColumnType.TEXT, ColumnType.BOOLEAN, ColumnType.INSTANT },
                    List.of(new Object[] { admin, tenant, "admin", "my-oper", "hash-a", true, Instant.EPOCH },
                            new Object[] { user, tenant, "default", "pk_abcdef", "hash-u", false, Instant.EPOCH }));

            Migrations.apply(db.flyway(), Optional::empty, line -> {
            });

            Map<UUID, List<String>> keys = new TreeMap<>();
            try (Statement st = db.connection().createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT id, scopes, key_prefix, expires_at FROM api_keys")) {
                while (rs.next()) {
                    keys.put((UUID) db.read(rs, 1, ColumnType.ID), java.util.Arrays.asList(rs.getString(2),
                            rs.getString(3), String.valueOf(rs.getObject(4))));
                }
            }
            assertThat(keys).containsExactlyInAnyOrderEntriesOf(Map.of(admin, List.of("admin", "", "null"), user,
                    List.of("chat,keys,read", "pk_abcdef", "null")));
        }
    }

    private static void add(Map<String, List<Long>> sums, String group, Reply r) {
        List<Long> was = sums.getOrDefault(group, List.of(0L, 0L, 0L));
        sums.put(group, List.of(was.get(0) + 1, was.get(1) + r.in(), was.get(2) + r.out()));
    }

    private static void insert(OpsDatabase db, String sql, ColumnType[] types, List<Object[]> rows)
            throws SQLException {
        try (PreparedStatement ps = db.connection().prepareStatement(sql)) {
            for (Object[] row : rows) {
                for (int i = 0; i < row.length; i++) {
                    db.bind(ps, i + 1, types[i], row[i]);
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Rows as "tenant|key?|model|period|reason" -> [turns, in, out]. */
    private static Map<String, List<Long>> read(OpsDatabase db, String sql, boolean withKey) throws SQLException {
        return read(db, sql, withKey, 3);
    }

    /** Rows as "tenant|key?|text columns" -> [turns, in, out], with {@code texts} text columns after the ids. */
    private static Map<String, List<Long>> read(OpsDatabase db, String sql, boolean withKey, int texts)
            throws SQLException {
        Map<String, List<Long>> rows = new TreeMap<>();
        try (Statement st = db.connection().createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                int i = 1;
                StringBuilder group = new StringBuilder().append(db.read(rs, i++, ColumnType.ID));
                if (withKey) {
                    group.append('|').append(db.read(rs, i++, ColumnType.ID));
                }
                for (int j = 0; j < texts; j++) {
                    group.append('|').append(rs.getString(i++));
                }
                List<Long> counts = List.of(rs.getLong(i), rs.getLong(i + 1), rs.getLong(i + 2));
                assertThat(rows.put(group.toString(), counts)).as("one row per group: %s", group).isNull();
            }
        }
        return rows;
    }
}
