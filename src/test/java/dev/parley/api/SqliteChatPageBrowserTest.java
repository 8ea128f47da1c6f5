package dev.parley.api;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

import jakarta.inject.Inject;

import dev.parley.store.DatabaseUrl;

import dev.parley.testing.SqliteBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(SqliteBackend.class)
class SqliteChatPageBrowserTest extends ChatPageBrowserContract {

    @Inject
    DatabaseUrl database;

    /** Another connection to the file holds the write lock, as a foreign process would. */
    @Override
    AutoCloseable stallWrites() throws Exception {
        Connection foreign = DriverManager.getConnection("jdbc:sqlite:" + database.sqlitePath());
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
