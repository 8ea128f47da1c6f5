package dev.parley.api;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.parley.testing.SqliteBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(SqliteBackend.class)
class SqliteChatPageBrowserTest extends ChatPageBrowserContract {

    @ConfigProperty(name = "parley.sqlite.path")
    String path;

    /** Another connection to the file holds the write lock, as a foreign process would. */
    @Override
    AutoCloseable stallWrites() throws Exception {
        Connection foreign = DriverManager.getConnection("jdbc:sqlite:" + path);
        try (Statement st = foreign.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
        }
        return () -> {
            try (Statement st = foreign.createStatement()) {
                st.execute("ROLLBACK");
            }
            foreign.close();
        };
    }
}
