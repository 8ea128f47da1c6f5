package dev.parley.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prepared statements kept per SQLite connection: reused, reset when handed back, never shared or kept broken. */
class StatementCacheTest {

    private static final String SELECT = "SELECT id FROM t ORDER BY id";
    private static final String INSERT = "INSERT INTO t (id) VALUES (?)";

    @TempDir
    Path dir;

    private Connection physical;
    private Connection other;
    private StatementCache cache;

    @BeforeEach
    void open() throws SQLException {
        String url = "jdbc:sqlite:" + dir.resolve("t.db") + "?journal_mode=WAL";
        physical = DriverManager.getConnection(url);
        other = DriverManager.getConnection(url);
        try (Statement st = physical.createStatement()) {
            st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
            st.execute("INSERT INTO t (id) VALUES (1), (2), (3)");
        }
        cache = new StatementCache(physical, StatementCache.CAPACITY);
    }

    @AfterEach
    void close() throws SQLException {
        cache.close();
        physical.close();
        other.close();
    }

    /** A view that does not close the physical connection, as a pool's connection would not. */
    private Connection lend() {
        return lend(cache);
    }

    private Connection lend(StatementCache from) {
        return from.lend(pooled(physical));
    }

    /** {@code connection} as a pool lends it: closing it does not close the physical connection. */
    private static Connection pooled(Connection connection) {
        return (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] { Connection.class }, (proxy, method, args) -> method.getName().equals("close")
                        ? null
                        : method.invoke(connection, args));
    }

    private static PreparedStatement underlying(PreparedStatement ps) throws SQLException {
        return ps.unwrap(PreparedStatement.class);
    }

    @Test
    void aStatementPreparedAgainIsTheOneKept() throws SQLException {
        PreparedStatement first;
        try (Connection c = lend(); PreparedStatement ps = c.prepareStatement(SELECT)) {
            first = underlying(ps);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
            }
        }
        try (Connection c = lend(); PreparedStatement ps = c.prepareStatement(SELECT);
                ResultSet rs = ps.executeQuery()) {
            assertThat(underlying(ps)).isSameAs(first);
            int rows = 0;
            while (rs.next()) {
                rows++;
            }
            assertThat(rows).isEqualTo(3); // from the first row again: the earlier use was reset
        }
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void aStatementHandedBackWithItsResultsOpenEndsItsRead() throws SQLException {
        try (Connection c = lend()) {
            PreparedStatement ps = c.prepareStatement(SELECT);
            ResultSet rs = ps.executeQuery();
            assertThat(rs.next()).isTrue(); // a read in progress: SQLite holds its snapshot of the WAL
            ps.close(); // the result set is left open, as a careless caller would
        }
        try (Statement st = other.createStatement()) {
            st.execute("INSERT INTO t (id) VALUES (4)");
            try (ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).as("checkpoint blocked by a reader").isZero();
            }
        }
    }

    @Test
    void parametersDoNotCarryOverToTheNextUse() throws SQLException {
        try (Statement st = physical.createStatement()) {
            st.execute("CREATE TABLE u (v TEXT NOT NULL)");
        }
        String insert = "INSERT INTO u (v) VALUES (?)";
        try (Connection c = lend(); PreparedStatement ps = c.prepareStatement(insert)) {
            ps.setString(1, "stored");
            ps.executeUpdate();
            ps.setString(1, "left behind"); // set, never executed
        }
        try (Connection c = lend(); PreparedStatement ps = c.prepareStatement(insert)) {
            assertThatThrownBy(ps::executeUpdate).isInstanceOf(SQLException.class).hasMessageContaining("NOT NULL");
        }
    }

    @Test
    void theSameSqlTwiceAtOnceGetsTwoStatements() throws SQLException {
        try (Connection c = lend(); PreparedStatement outer = c.prepareStatement(SELECT);
                ResultSet rows = outer.executeQuery()) {
            int outerRows = 0;
            while (rows.next()) {
                outerRows++;
                try (PreparedStatement inner = c.prepareStatement(SELECT); ResultSet again = inner.executeQuery()) {
                    assertThat(underlying(inner)).isNotSameAs(underlying(outer));
                    assertThat(again.next()).isTrue();
                    assertThat(again.getLong(1)).isEqualTo(1);
                }
            }
            assertThat(outerRows).isEqualTo(3);
        }
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void aStatementWhoseUseFailedIsNotKept() throws SQLException {
        PreparedStatement failed;
        try (Connection c = lend(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            failed = underlying(ps);
            ps.setLong(1, 1);
            assertThatThrownBy(ps::executeUpdate).isInstanceOf(SQLException.class); // duplicate key
        }
        assertThat(failed.isClosed()).isTrue();
        try (Connection c = lend(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            assertThat(underlying(ps)).isNotSameAs(failed);
            ps.setLong(1, 5);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    @Test
    void aHandedBackStatementCannotBeUsedAgain() throws SQLException {
        PreparedStatement handle;
        try (Connection c = lend()) {
            handle = c.prepareStatement(SELECT);
            handle.close();
        }
        assertThat(handle.isClosed()).isTrue();
        assertThatThrownBy(handle::executeQuery).isInstanceOf(SQLException.class).hasMessage("statement is closed");
    }

    @Test
    void closingTheConnectionHandsBackWhatIsStillOpen() throws SQLException {
        PreparedStatement handle;
        PreparedStatement kept;
        try (Connection c = lend()) {
            handle = c.prepareStatement(SELECT);
            kept = underlying(handle);
            handle.executeQuery().next();
        }
        assertThat(handle.isClosed()).isTrue();
        try (Connection c = lend(); PreparedStatement ps = c.prepareStatement(SELECT)) {
            assertThat(underlying(ps)).isSameAs(kept); // handed back, so not taken for a use still going on
        }
    }

    @Test
    void theLeastRecentlyUsedStatementsAreClosedBeyondTheCapacity() throws SQLException {
        StatementCache small = new StatementCache(physical, 2);
        PreparedStatement a;
        try (Connection c = lend(small)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1")) {
                a = ps.unwrap(PreparedStatement.class);
            }
            c.prepareStatement("SELECT 2").close();
            c.prepareStatement("SELECT 3").close();
        }
        assertThat(small.size()).isEqualTo(2);
        assertThat(a.isClosed()).isTrue();
        small.close();
        assertThat(small.size()).isZero();
    }

    @Test
    void eachPhysicalConnectionKeepsItsOwnStatementsAcrossLendings() throws SQLException {
        StatementCaches caches = new StatementCaches();
        PreparedStatement first;
        try (Connection c = caches.lend(pooled(physical)); PreparedStatement ps = c.prepareStatement(SELECT)) {
            first = underlying(ps);
        }
        try (Connection c = caches.lend(pooled(physical)); PreparedStatement ps = c.prepareStatement(SELECT)) {
            assertThat(underlying(ps)).isSameAs(first);
        }
        try (Connection c = caches.lend(pooled(other)); PreparedStatement ps = c.prepareStatement(SELECT)) {
            assertThat(underlying(ps)).isNotSameAs(first);
            assertThat(ps.getConnection()).isSameAs(other);
        }
        caches.close();
        assertThat(first.isClosed()).isTrue();
    }
}
