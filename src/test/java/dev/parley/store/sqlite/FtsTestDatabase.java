package dev.parley.store.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

import org.flywaydb.core.Flyway;

/** A migrated SQLite file with one tenant ({@code t}) and one conversation ({@code c}), for tests of the index's SQL. */
final class FtsTestDatabase {

    private FtsTestDatabase() {
    }

    /** Creates and migrates {@code file}; answers its JDBC URL. */
    static String create(Path file) throws SQLException {
        String url = "jdbc:sqlite:" + file;
        Flyway.configure().dataSource(url, null, null).locations("db/migration/sqlite").load().migrate();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("INSERT INTO tenants (id, name, created_at) VALUES ('t', 'T', 0)");
            st.execute("INSERT INTO conversations (id, tenant_id, title, model, archived, created_at, updated_at) "
                    + "VALUES ('c', 't', 'one', 'demo', 0, 0, 0)");
        }
        return url;
    }

    /** One user message in conversation {@code c}, in the connection's current transaction (or its own). */
    static void addMessage(Connection c, String id, String content) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO messages (id, tenant_id, conversation_id, role, "
                + "content, created_at) VALUES (?, 't', 'c', 'user', ?, 0)")) {
            ps.setString(1, id);
            ps.setString(2, content);
            ps.executeUpdate();
        }
    }
}
