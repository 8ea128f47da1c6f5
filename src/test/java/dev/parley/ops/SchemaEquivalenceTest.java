package dev.parley.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import dev.parley.testing.TestPostgres;

/**
 * Both dialects' migrations must produce the same tables with the same columns, nullability and logical types, so
 * that data copies losslessly between the two backends. The search index is each dialect's own, like an index, and
 * holds nothing that is not derived from the messages: SQLite's FTS5 tables ({@code messages_fts*}) and PostgreSQL's
 * generated columns ({@code messages.search}) are left out.
 */
class SchemaEquivalenceTest {

    /** Logical type of a column, as both dialects spell it. */
    private static String logical(String declared) {
        String t = declared.toLowerCase();
        return switch (t) {
            case "uuid" -> "id";
            case "timestamp with time zone", "timestamptz" -> "instant";
            case "boolean" -> "boolean";
            case "integer", "bigint" -> "integer";
            case "text" -> "text";
            case "jsonb" -> "json";
            default -> t;
        };
    }

    @Test
    void sqliteAndPostgresqlMigrationsProduceTheSameTablesAndColumns() throws Exception {
        Path dir = Files.createTempDirectory("schema");
        String sqliteUrl = "jdbc:sqlite:" + dir.resolve("s.db");
        Flyway.configure().dataSource(sqliteUrl, null, null).locations("db/migration/sqlite").load().migrate();
        String pgUrl = TestPostgres.newDatabase();
        try (Connection pg = TestPostgres.connect(pgUrl)) {
            Flyway.configure().dataSource(new org.postgresql.ds.PGSimpleDataSource() {
                {
                    setURL("jdbc:postgresql://" + pgUrl.substring(pgUrl.indexOf('@') + 1));
                    setUser("postgres");
                }
            }).locations("db/migration/postgresql").load().migrate();
            Map<String, String> postgres = postgresColumns(pg);
            Map<String, String> sqlite;
            try (Connection c = DriverManager.getConnection(sqliteUrl)) {
                sqlite = sqliteColumns(c, postgres);
            }
            assertThat(postgres).isNotEmpty().containsKeys("conversations.id", "messages.tokens_out",
                    "api_keys.key_hash", "tenants.name");
            assertThat(sqlite).isEqualTo(postgres);
        }
    }

    private static Map<String, String> postgresColumns(Connection c) throws SQLException {
        Map<String, String> cols = new TreeMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT table_name, column_name, "
                + "data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' "
                + "AND table_name <> 'flyway_schema_history' AND is_generated = 'NEVER'")) {
            while (rs.next()) {
                cols.put(rs.getString(1) + "." + rs.getString(2),
                        logical(rs.getString(3)) + ("YES".equals(rs.getString(4)) ? " null" : " not null"));
            }
        }
        return cols;
    }

    /**
     * SQLite stores ids and instants in TEXT and INTEGER columns; the PostgreSQL type of the same column says which
     * logical type it carries, and the SQLite declaration must be the storage for exactly that.
     */
    private static Map<String, String> sqliteColumns(Connection c, Map<String, String> postgres) throws SQLException {
        Map<String, String> storageOf = Map.of("id", "TEXT", "instant", "INTEGER", "boolean", "INTEGER", "integer",
                "INTEGER", "text", "TEXT", "json", "TEXT");
        Map<String, String> cols = new TreeMap<>();
        try (Statement st = c.createStatement(); ResultSet tables = st.executeQuery(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                        + "AND name <> 'flyway_schema_history' AND name NOT LIKE 'messages_fts%'")) {
            while (tables.next()) {
                String table = tables.getString(1);
                try (Statement st2 = c.createStatement();
                        ResultSet rs = st2.executeQuery("PRAGMA table_info(" + table + ")")) {
                    while (rs.next()) {
                        String key = table + "." + rs.getString("name");
                        String declared = rs.getString("type").toUpperCase();
                        String pg = postgres.getOrDefault(key, "missing");
                        String logical = pg.split(" ")[0];
                        String shown = declared.equals(storageOf.get(logical)) ? logical : declared.toLowerCase();
                        boolean notNull = rs.getInt("notnull") == 1 || rs.getInt("pk") == 1;
                        cols.put(key, shown + (notNull ? " not null" : " null"));
                    }
                }
            }
        }
        return cols;
    }
}
