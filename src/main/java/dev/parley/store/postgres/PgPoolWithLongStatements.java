package dev.parley.store.postgres;

import jakarta.inject.Singleton;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.spi.PgDriver;
import io.vertx.sqlclient.Pool;

/**
 * The reactive pool Quarkus would create, with one change: prepared statements up to {@value #SQL_LIMIT} characters
 * are cached per connection (Vert.x caches only those under 2,048 by default). A turn's two writes are one statement
 * each, several thousand characters of data-modifying CTEs ({@link PgTurnStore}); uncached, PostgreSQL parses and
 * plans them again for every turn. The same settings open the admission connections ({@link PgAdmissionLanes}).
 */
@Singleton
public class PgPoolWithLongStatements implements PgPoolCreator {

    static final int SQL_LIMIT = 32 * 1024;

    private final PgAdmissionLanes lanes;

    PgPoolWithLongStatements(PgAdmissionLanes lanes) {
        this.lanes = lanes;
    }

    @Override
    public Pool create(Input input) {
        // whether to cache at all stays Quarkus' setting (quarkus.datasource.reactive.cache-prepared-statements)
        input.pgConnectOptionsList().forEach(o -> o.setPreparedStatementCacheSqlLimit(SQL_LIMIT));
        lanes.open(input.vertx(), input.pgConnectOptionsList().get(0));
        return PgDriver.INSTANCE.createPool(input.vertx(), input.pgConnectOptionsList(), input.poolOptions());
    }
}
