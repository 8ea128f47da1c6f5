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
 * The connections a replica's limited turns take turns on ({@link PgTurnStore}): {@code
 * PARLEY_PG_ADMISSION_CONNECTIONS} (2), each one connection, a tenant's turns always on the same one. A turn's first
 * write (its messages and its admission) and its settlement, the statements that update a subject's counter rows, are
 * queued on that connection (pipelined: PostgreSQL runs them back to back), so the replica's turns never wait inside
 * PostgreSQL for each other's row locks; replicas still do, for one statement at a time. Measured before
 * (bench/README.md, UsageLoad): on two busy cores, a start that waited for another's row lock waited 2-3 ms at the
 * median and up to 13 ms, the holder being another backend that was descheduled while it held the row; starts waited
 * for starts (keeping settlements off the counters changed nothing), and not for the disk (with {@code
 * synchronous_commit} off they waited as often).
 *
 * <p>A settlement's transaction commits without waiting for the WAL flush ({@code synchronous_commit = off}, which
 * the statement sets for its own transaction), so that the next turn's statement on the connection does not wait for
 * the disk behind it. No acknowledged write depends on it alone: the reply is stored right after it by a transaction
 * that does wait for the flush, which writes everything logged before it, the settlement included. A crash between
 * the two loses at most a settlement whose reply was never stored: its reservation stays counted (the safe side) and
 * its turn in flight goes with the dead process (the housekeeping).
 */
@Singleton
public class PgAdmissionLanes {

    private final PostgresSettings settings;
    private volatile SqlClient[] lanes;

    PgAdmissionLanes(PostgresSettings settings) {
        this.settings = settings;
    }

    /** Called once with the reactive pool's own settings, when PostgreSQL is the backend. */
    void open(Vertx vertx, PgConnectOptions pool) {
        PgConnectOptions o = new PgConnectOptions(pool);
        o.setProperties(new HashMap<>(pool.getProperties()));
        o.addProperty("application_name", "parley-admission");
        PoolOptions one = new PoolOptions().setMaxSize(1).setMaxLifetime((int) settings.pool().maxLifetime().toMillis())
                .setMaxLifetimeUnit(java.util.concurrent.TimeUnit.MILLISECONDS);
        SqlClient[] opened = new SqlClient[settings.admissionConnections()];
        for (int i = 0; i < opened.length; i++) {
            opened[i] = SqlClient.newInstance(PgBuilder.client().with(one).connectingTo(o).using(vertx).build());
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
