package dev.parley.ops.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.parley.store.Table;
import dev.parley.store.Timestamps;
import dev.parley.store.UuidV7;

/**
 * copy-data carries the billing tables, whose keys are Stripe's text ids: both sides scan them in byte order
 * (upper case before lower case, digits before letters), so an interrupted copy resumes after the right key.
 */
class BillingCopyDataTest {

    private static final CopyData.Listener QUIET = new CopyData.Listener() {
    };

    @TempDir
    Path dir;

    /** Ids whose byte order differs from a linguistic collation's: "evt_1QZ" < "evt_1Qa" < "evt_1Qé". */
    private static List<String> mixedCaseIds(String prefix, int n) {
        List<String> ids = new ArrayList<>();
        String[] cases = { "A", "a", "Z", "z", "0", "9", "_", "é" };
        for (int i = 0; i < n; i++) {
            ids.add(prefix + "_1Q" + cases[i % cases.length] + String.format("%05d", i) + cases[(i / 8) % cases.length]);
        }
        return ids;
    }

    private static void populate(OpsDatabase db) throws SQLException {
        db.connection().setAutoCommit(false);
        UUID tenant = UuidV7.next();
        Instant now = Timestamps.now();
        Table tenants = Table.named("tenants");
        db.insert(tenants, List.<Object[]> of(tenants.row("id", tenant, "name", "Stripe customer", "created_at", now)));
        List<String> subs = mixedCaseIds("sub", 12);
        List<Object[]> subscriptions = new ArrayList<>();
        for (int i = 0; i < subs.size(); i++) {
            subscriptions.add(new Object[] { subs.get(i), i % 3 == 0 ? null : tenant, "cus_" + i,
                    i % 2 == 0 ? "active" : null, now, "price_1Qpro", now.plusSeconds(86400L * 30), "active",
                    Instant.ofEpochSecond(1_790_000_000L + i), "evt_x" + i, i % 2 == 0 ? "paid" : null,
                    i % 2 == 0 ? Instant.ofEpochSecond(1_790_000_001L + i) : null, i % 2 == 0 ? "evt_y" + i : null,
                    now, now });
        }
        db.insert(Table.named("billing_subscriptions"), subscriptions);
        List<String> events = mixedCaseIds("evt", 40);
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            String sub = subs.get(i % subs.size());
            rows.add(new Object[] { events.get(i), "customer.subscription.updated", i % 2 == 0 ? "2025-11-17.clover"
                    : "2024-06-20", i % 5 == 0, Instant.ofEpochSecond(1_790_000_000L + i), now, i % 7 == 0 ? null : sub,
                    "cus_" + i, i % 4 == 0 ? "not-a-tenant" : tenant.toString(), i % 3 == 0 ? null : tenant,
                    "applied", "{\"id\":\"" + events.get(i) + "\",\"data\":{\"object\":{\"metadata\":{\"k\":\"é 🚀\"}}},"
                            + "\"created\":" + (1_790_000_000L + i) + "}" });
        }
        db.insert(Table.named("stripe_events"), rows);
        List<Object[]> transitions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            transitions.add(new Object[] { UuidV7.next(), subs.get(i % subs.size()), i % 3 == 0 ? null : tenant,
                    i == 0 ? null : "incomplete", "active", events.get(i), now });
        }
        db.insert(Table.named("billing_transitions"), transitions);
        db.connection().commit();
        db.connection().setAutoCommit(true);
    }

    @Test
    void billingRowsCopyBothWaysAndAnInterruptedCopyResumesAfterTheRightTextKey() throws Exception {
        try (OpsDatabase source = SampleData.migrated(SampleData.sqliteFile(dir, "billing.db"));
                OpsDatabase pg = SampleData.migrated(SampleData.newPostgres());
                OpsDatabase back = SampleData.migrated(SampleData.sqliteFile(dir, "back.db"))) {
            populate(source);
            RuntimeException crash = new RuntimeException("power cut");
            assertThatThrownBy(() -> CopyData.copy(source, pg, new CopyData.Options(false, 7),
                    new CopyData.Listener() {
                        int batches;

                        @Override
                        public void batchCommitted(Table table, int rows) {
                            if (table.name().equals("stripe_events") && ++batches == 3) {
                                throw crash;
                            }
                        }
                    })).isSameAs(crash);
            assertThat(pg.count(Table.named("stripe_events"))).isEqualTo(21);

            CopyData.Report resumed = CopyData.copy(source, pg, new CopyData.Options(true, 7), QUIET);
            assertThat(resumed.verified()).as("%s", resumed.checks()).isTrue();
            assertThat(pg.count(Table.named("stripe_events"))).isEqualTo(40);
            assertThat(pg.count(Table.named("billing_transitions"))).isEqualTo(10);
            pg.connection().commit(); // end the counting transaction: the next copy reads a snapshot of its own

            CopyData.Report down = CopyData.copy(pg, back, new CopyData.Options(false, 5), QUIET);
            assertThat(down.verified()).as("%s", down.checks()).isTrue();
            assertThat(CopyData.verify(source, back)).allSatisfy(c -> assertThat(c.ok()).as("%s", c).isTrue());
            try (Statement st = back.connection().createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT payload FROM stripe_events ORDER BY event_id LIMIT 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).contains("é 🚀");
            }
        }
    }
}
