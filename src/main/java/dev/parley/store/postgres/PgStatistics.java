package dev.parley.store.postgres;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import org.jboss.logging.Logger;

import io.quarkus.arc.InjectableInstance;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Keeps the planner's statistics of Parley's tables current where PostgreSQL's autovacuum does not: with autovacuum
 * off (for the server, or for a table through its {@code autovacuum_enabled} storage parameter) a table is analyzed
 * once, by hand or by a migration, and never again. The plans of the statements each connection keeps prepared are
 * then made for the table as it was: on a new database, for an empty {@code messages}, a sequential scan that the
 * growing table never replaces (bench/StreamLoad, 500 streams on PostgreSQL: 635 million rows read by 25,000 scans in
 * four minutes, 1.35 cores of the server, 0.36 of the upstream's rate).
 *
 * <p>Every {@link #CHECK_EVERY} this analyzes each of the schema's tables that autovacuum leaves alone and that
 * changed by as much as would make autovacuum analyze it ({@code autovacuum_analyze_threshold} plus
 * {@code autovacuum_analyze_scale_factor} of its rows, PostgreSQL's own settings), at most once per
 * {@link #MIN_INTERVAL}. One replica at a time (an advisory lock, not waited for); an ANALYZE invalidates the cached
 * plans of the table, so that each connection plans its statements again at their next run. Where autovacuum runs,
 * this does nothing; where it does not, the log says so once, since nothing removes dead rows then.
 */
@ApplicationScoped
@Typed(PgStatistics.class)
public class PgStatistics {

    private static final Logger LOG = Logger.getLogger(PgStatistics.class);

    static final Duration CHECK_EVERY = Duration.ofSeconds(15);
    /**
     * No table is analyzed twice within this: a small table that changes all the time (heartbeats, the usage windows)
     * would otherwise be analyzed at every check. Short, so that the analysis a migration made of a still empty table
     * does not hold back the first one that counts (a new database's messages grow by thousands a minute).
     */
    static final Duration MIN_INTERVAL = Duration.ofSeconds(30);

    /** {@code pg_try_advisory_xact_lock}'s key: 'parley-analyze' in the first eight bytes of its ASCII. */
    static final long LOCK_KEY = 0x7061726c65792d61L;

    /**
     * The tables to analyze now, quoted, with whether autovacuum is off for the whole server: of the current schema,
     * left alone by autovacuum, changed past autovacuum's threshold since their last analysis, analyzed (by anyone)
     * longer than {@code $1} ago or never.
     */
    static final String STALE_TABLES = "SELECT format('%I.%I', s.schemaname, s.relname) AS name, "
            + "NOT current_setting('autovacuum')::boolean AS server_off "
            + "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            + "WHERE s.schemaname = current_schema() "
            + "AND (NOT current_setting('autovacuum')::boolean OR EXISTS (SELECT 1 FROM unnest(c.reloptions) o "
            + "WHERE o LIKE 'autovacuum\\_enabled=%' AND NOT split_part(o, '=', 2)::boolean)) "
            + "AND s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8 "
            + "+ current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0) "
            + "AND coalesce(greatest(s.last_analyze, s.last_autoanalyze), '-infinity') "
            + "< now() - $1::int * interval '1 second' ORDER BY s.relname";

    private final InjectableInstance<Pool> pool;
    private final Vertx vertx;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean warned = new AtomicBoolean();
    private volatile long timer = -1;

    PgStatistics(InjectableInstance<Pool> pool, Vertx vertx) {
        this.pool = pool;
        this.vertx = vertx;
    }

    /** Checks every {@link #CHECK_EVERY} from now on (the first check after one period). */
    void start() {
        if (timer < 0) {
            timer = vertx.setPeriodic(CHECK_EVERY.toMillis(), id -> {
                if (running.compareAndSet(false, true)) {
                    analyzeStale(MIN_INTERVAL).subscribe().with(analyzed -> running.set(false), e -> {
                        running.set(false);
                        LOG.debugf("Statistics: the check did not run (%s)", e.getMessage());
                    });
                }
            });
        }
    }

    @PreDestroy
    void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    /**
     * Analyzes the tables whose statistics autovacuum would have renewed and did not, unless another replica holds
     * the lock; returns their names (empty when none, or when another replica is at it).
     */
    Uni<List<String>> analyzeStale(Duration minInterval) {
        return pool.get().withTransaction(conn -> conn.preparedQuery("SELECT pg_try_advisory_xact_lock($1) AS got")
                .execute(Tuple.of(LOCK_KEY)).chain(lock -> {
                    if (!lock.iterator().next().getBoolean("got")) {
                        return Uni.createFrom().item(List.<String>of());
                    }
                    return conn.preparedQuery(STALE_TABLES).execute(Tuple.of((int) minInterval.toSeconds()))
                            .chain(rows -> {
                                List<String> names = new ArrayList<>();
                                boolean serverOff = false;
                                for (Row row : rows) {
                                    names.add(row.getString("name"));
                                    serverOff |= row.getBoolean("server_off");
                                }
                                if (!names.isEmpty() && warned.compareAndSet(false, true)) {
                                    LOG.warnf("PostgreSQL's autovacuum is off%s: Parley analyzes its tables as they "
                                            + "change, but nothing removes their dead rows; turn autovacuum on",
                                            serverOff ? "" : " for " + String.join(", ", names));
                                }
                                return analyze(conn, names, 0).replaceWith(names);
                            });
                }));
    }

    private static Uni<Void> analyze(SqlConnection conn, List<String> names, int from) {
        if (from == names.size()) {
            return Uni.createFrom().voidItem();
        }
        long started = System.nanoTime();
        return conn.query("ANALYZE " + names.get(from)).execute().invoke(done -> LOG.debugf(
                "Statistics: analyzed %s in %d ms", names.get(from), (System.nanoTime() - started) / 1_000_000))
                .chain(done -> analyze(conn, names, from + 1));
    }
}
