package dev.parley.testing;

import java.io.IOException;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * PostgreSQL for tests. By default an embedded server (a real PostgreSQL from Maven, started once per test JVM);
 * when {@code PARLEY_TEST_POSTGRES_URL} is set (e.g. {@code postgresql://postgres@127.0.0.1:5432/test}), that server
 * is used instead. Either way every caller gets a new, empty database of its own.
 */
public final class TestPostgres {

    private static EmbeddedPostgres embedded;

    private TestPostgres() {
    }

    /** A {@code postgresql://} URL of a new empty database. */
    public static synchronized String newDatabase() {
        String external = System.getenv("PARLEY_TEST_POSTGRES_URL");
        String adminUrl;
        if (external != null && !external.isBlank()) {
            adminUrl = external.trim();
        } else {
            if (embedded == null) {
                try {
                    embedded = EmbeddedPostgres.builder().start();
                } catch (IOException e) {
                    throw new IllegalStateException("cannot start embedded PostgreSQL", e);
                }
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        embedded.close();
                    } catch (IOException ignored) {
                        // exiting anyway
                    }
                }));
            }
            adminUrl = "postgresql://postgres@localhost:" + embedded.getPort() + "/postgres";
        }
        String name = "parley_test_" + UUID.randomUUID().toString().replace("-", "");
        URI admin = URI.create(adminUrl);
        try (Connection c = DriverManager.getConnection(jdbc(admin, admin.getPath().substring(1)), user(admin),
                password(admin)); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database on " + admin.getHost(), e);
        }
        return "postgresql://" + (admin.getRawUserInfo() == null ? "" : admin.getRawUserInfo() + "@") + admin.getHost()
                + ":" + (admin.getPort() < 0 ? 5432 : admin.getPort()) + "/" + name;
    }

    /**
     * A new empty database owned by a new role with this password, and its URL with the credentials in it: for tests
     * that check the password never shows (the embedded server trusts local connections, but Parley still sends it).
     */
    public static String newDatabaseOwnedBy(String role, String password) {
        String url = newDatabase();
        URI u = URI.create(url);
        String database = u.getPath().substring(1);
        try (Connection c = connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + password.replace("'", "''") + "'");
            st.execute("ALTER DATABASE " + database + " OWNER TO " + role);
            st.execute("GRANT ALL ON SCHEMA public TO " + role);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create role " + role, e);
        }
        return "postgresql://" + role + ":" + password + "@" + u.getHost() + ":" + u.getPort() + "/" + database;
    }

    /** A JDBC URL, user and password for the given {@code postgresql://} URL, for tests that inspect the schema. */
    public static Connection connect(String url) throws SQLException {
        URI u = URI.create(url);
        return DriverManager.getConnection(jdbc(u, u.getPath().substring(1)), user(u), password(u));
    }

    private static String jdbc(URI u, String db) {
        return "jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + "/" + db;
    }

    private static String user(URI u) {
        String info = u.getUserInfo();
        return info == null ? "postgres" : info.split(":", 2)[0];
    }

    private static String password(URI u) {
        String info = u.getUserInfo();
        return info == null || !info.contains(":") ? null : info.split(":", 2)[1];
    }

    /** Quarkus test resource handing a fresh database to the application under test. */
    public static class Resource implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            return Map.of("parley.database-url", newDatabase());
        }

        @Override
        public void stop() {
            // databases are left for the server to be thrown away with; the embedded one is, at JVM exit
        }
    }
}
