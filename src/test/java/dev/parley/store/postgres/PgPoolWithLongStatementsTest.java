package dev.parley.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Which statements a pooled connection keeps prepared: the turn's long statements are, a search's are not (planned for
 * its words at every run, see {@link PgPoolWithLongStatements}).
 */
class PgPoolWithLongStatementsTest {

    @Test
    void statementsUpToTheLimitAreCached() {
        assertThat(PgPoolWithLongStatements.cached("SELECT 1")).isTrue();
        assertThat(PgPoolWithLongStatements.cached("WITH conv AS (" + "x".repeat(20_000) + ")")).isTrue();
        assertThat(PgPoolWithLongStatements.cached("x".repeat(PgPoolWithLongStatements.SQL_LIMIT))).isFalse();
    }

    @Test
    void searchStatementsAreNeverCached() {
        assertThat(PgSearchStore.PAGE).startsWith(PgPoolWithLongStatements.CUSTOM_PLAN);
        assertThat(PgPoolWithLongStatements.cached(String.format(PgSearchStore.PAGE, "SELECT 1", "1"))).isFalse();
    }
}
