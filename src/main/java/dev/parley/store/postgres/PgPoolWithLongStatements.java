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
 *
 * <p>Except statements marked {@link #CUSTOM_PLAN}, which are never cached: PostgreSQL plans a cached statement
 * generically after its fifth run, one plan for every parameter, and a search's best plan depends on its words (a
 * common word is found fastest by walking the tenant's newest messages, a rare one through the GIN index): under a
 * generic plan a search for a word in most messages read all of them through GIN (0.3 s instead of a few ms at a
 * million messages). Uncached, the statement is planned for its values at every run.
 */
@Singleton
public class PgPoolWithLongStatements implements PgPoolCreator {

    static final int SQL_LIMIT = 32 * 1024;

    /** The first characters of a statement that must be planned for its parameters at every run. */
    static final String CUSTOM_PLAN = "/* planned per run */ ";

    private final PgAdmissionLanes lanes;

    PgPoolWithLongStatements(PgAdmissionLanes lanes) {
        this.lanes = lanes;
    }

    /** Whether a connection keeps {@code sql} prepared: under the size limit and not marked {@link #CUSTOM_PLAN}. */
    static boolean cached(String sql) {
        return sql.length() < SQL_LIMIT && !sql.startsWith(CUSTOM_PLAN);
    }

    @Override
    public Pool create(Input input) {
        // whether to cache at all stays Quarkus' setting (quarkus.datasource.reactive.cache-prepared-statements)
        input.pgConnectOptionsList().forEach(o -> o.setPreparedStatementCacheSqlLimit(SQL_LIMIT)
                .setPreparedStatementCacheSqlFilter(PgPoolWithLongStatements::cached));
        lanes.open(input.vertx(), input.pgConnectOptionsList().get(0));
        return PgDriver.INSTANCE.createPool(input.vertx(), input.pgConnectOptionsList(), input.poolOptions());
    }
}
