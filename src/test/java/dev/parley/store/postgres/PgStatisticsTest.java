package dev.parley.store.postgres;

import static dev.parley.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.parley.testing.PostgresBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Where autovacuum does not analyze a table, Parley does, as autovacuum would have: once it changed past autovacuum's
 * threshold, not before, one replica at a time. Each test works on tables of its own, created here with
 * {@code autovacuum_enabled = false} (as an operator may set it), so that Parley's tables and the server's own
 * autovacuum stay out of it.
 */
@QuarkusTest
@TestProfile(PostgresBackend.class)
class PgStatisticsTest {

    @Inject
    PgStatistics statistics;

    @Inject
    Pool pool;

    /** The tables this test created, dropped after it: the database is shared with the other PostgreSQL tests. */
    private final List<String> created = new ArrayList<>();

    /** The checks here are the tests' own: the timer's, between a test's steps, would take its tables first. */
    @BeforeEach
    void stopTheTimer() {
        statistics.stop();
        // and let a check already under way finish: it holds the lock until its transaction ends
        result(pool.withTransaction(c -> c.preparedQuery("SELECT pg_advisory_xact_lock($1)")
                .execute(Tuple.of(PgStatistics.LOCK_KEY))));
    }

    @AfterEach
    void dropTheTablesAndStartTheTimerAgain() {
        for (String table : created) {
            result(pool.query("DROP TABLE " + table).execute());
        }
        statistics.start();
    }

    private String table(boolean autovacuum) {
        String name = "stats_probe_" + UUID.randomUUID().toString().substring(0, 8);
        result(pool.query("CREATE TABLE " + name + " (id int PRIMARY KEY, k int NOT NULL)"
                + (autovacuum ? "" : " WITH (autovacuum_enabled = false)")).execute());
        result(pool.query("CREATE INDEX " + name + "_k ON " + name + " (k)").execute());
        created.add(name);
        result(pool.query("ANALYZE " + name).execute()); // its statistics: an empty table
        return name;
    }

    /** Inserts rows and makes the server's activity counters show them at once. */
    private void insert(String table, int from, int count) {
        result(pool.withConnection(c -> c.query("INSERT INTO " + table + " SELECT g, g % 100 FROM generate_series("
                + from + ", " + (from + count - 1) + ") g").execute()
                .chain(() -> c.query("SELECT pg_stat_force_next_flush()").execute())));
    }

    private Row stats(String table) {
        return result(pool.preparedQuery("SELECT n_mod_since_analyze, last_analyze, c.reltuples FROM "
                + "pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = $1")
                .execute(Tuple.of(table))).iterator().next();
    }

    private List<String> analyzeStale() {
        return result(statistics.analyzeStale(Duration.ZERO));
    }

    @Test
    void aTableThatAutovacuumLeavesAloneIsAnalyzedOnceItChangedPastTheThreshold() {
        String table = table(false);
        insert(table, 1, 1_000);
        assertThat(stats(table).getLong("n_mod_since_analyze")).isEqualTo(1_000);

        assertThat(analyzeStale()).contains("public." + table);

        Row after = stats(table);
        assertThat(after.getLong("n_mod_since_analyze")).isZero();
        assertThat(after.getFloat("reltuples")).isEqualTo(1_000f);
        assertThat(analyzeStale()).doesNotContain("public." + table);
    }

    @Test
    void belowTheThresholdItIsLeftAsItIs() {
        String table = table(false);
        insert(table, 1, 1_000);
        analyzeStale();
        // autovacuum's default threshold: 50 rows plus a tenth of the table's, 150 here
        insert(table, 1_001, 140);
        assertThat(analyzeStale()).doesNotContain("public." + table);
        assertThat(stats(table).getLong("n_mod_since_analyze")).isEqualTo(140);

        insert(table, 1_141, 20);
        assertThat(analyzeStale()).contains("public." + table);
        assertThat(stats(table).getFloat("reltuples")).isEqualTo(1_160f);
    }

    @Test
    void aTableAutovacuumAnalyzesIsLeftToIt() {
        boolean serverAutovacuum = result(pool.query("SELECT current_setting('autovacuum')::boolean AS on")
                .execute()).iterator().next().getBoolean("on");
        String table = table(true);
        insert(table, 1, 1_000);
        if (serverAutovacuum) {
            assertThat(analyzeStale()).doesNotContain("public." + table);
        } else {
            // a server with autovacuum off leaves every table to Parley
            assertThat(analyzeStale()).contains("public." + table);
        }
    }

    @Test
    void aTableAnalyzedRecentlyWaitsForTheInterval() {
        String table = table(false);
        insert(table, 1, 1_000);
        assertThat(result(statistics.analyzeStale(Duration.ofHours(1)))).doesNotContain("public." + table);
        assertThat(stats(table).getLong("n_mod_since_analyze")).isEqualTo(1_000);
    }

    @Test
    void whileAnotherReplicaHoldsTheLockNothingIsAnalyzed() {
        String table = table(false);
        insert(table, 1, 1_000);
        List<String> analyzed = result(pool.withTransaction(c -> c.preparedQuery("SELECT pg_advisory_xact_lock($1)")
                .execute(Tuple.of(PgStatistics.LOCK_KEY)).chain(() -> statistics.analyzeStale(Duration.ZERO))));
        assertThat(analyzed).isEmpty();
        assertThat(stats(table).getLong("n_mod_since_analyze")).isEqualTo(1_000);
        assertThat(analyzeStale()).contains("public." + table);
    }
}
