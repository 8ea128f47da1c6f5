package dev.parley.store.postgres;

import java.util.HashMap;
import java.util.UUID;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;

/**
 * The connections a replica's admissions and settlements take turns on ({@link PgTurnStore}): {@value #LANES}, each one
 * connection, a tenant's turns always on the same one. The counter rows of a subject are updated by one statement at a
 * time per replica, queued on that connection (pipelined: PostgreSQL runs them back to back), so the replica's turns
 * never wait for each other's row locks inside PostgreSQL. Measured: on two busy cores, a start that waited for
 * another start's lock waited 2-3 ms at the median and up to 13 ms (the holder, another backend, was descheduled while
 * it held the row); on one connection the next statement runs as soon as the one before it commits.
 *
 * <p>Their transactions commit without waiting for the WAL flush ({@code synchronous_commit = off}, a startup setting
 * of these connections alone), so a row is locked only while its statement runs, never across a disk write. No
 * acknowledged write depends on them alone: a turn's messages and its reply are stored afterwards by a transaction
 * that does wait for the flush, which writes everything logged before it, these counters included. A crash before
 * that loses at most the counters of a turn that was never acknowledged; its reservation then either stays counted
 * (the safe side) or is gone with the turn.
 */
@Singleton
public class PgAdmissionLanes {

    static final int LANES = 2;

    private volatile SqlClient[] lanes;

    /** Called once with the reactive pool's own settings, when PostgreSQL is the backend. */
    void open(Vertx vertx, PgConnectOptions pool) {
        SqlClient[] opened = new SqlClient[LANES];
        for (int i = 0; i < LANES; i++) {
            PgConnectOptions o = new PgConnectOptions(pool);
            o.setProperties(new HashMap<>(pool.getProperties()));
            o.addProperty("synchronous_commit", "off");
            o.addProperty("application_name", "parley-admission");
            opened[i] = SqlClient.newInstance(PgBuilder.client().with(new PoolOptions().setMaxSize(1))
                    .connectingTo(o).using(vertx).build());
        }
        lanes = opened;
    }

    /** The connection of a tenant's admissions and settlements. */
    SqlClient lane(UUID tenant) {
        SqlClient[] l = lanes;
        if (l == null) {
            throw new IllegalStateException("the admission connections open with the PostgreSQL pool");
        }
        return l[Math.floorMod(tenant.hashCode(), l.length)];
    }

    @PreDestroy
    void close() {
        SqlClient[] l = lanes;
        if (l != null) {
            for (SqlClient c : l) {
                c.closeAndAwait();
            }
        }
    }
}
