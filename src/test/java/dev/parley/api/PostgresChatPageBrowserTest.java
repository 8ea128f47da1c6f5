package dev.parley.api;

import java.sql.Connection;
import java.sql.Statement;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.parley.testing.PostgresBackend;
import dev.parley.testing.TestPostgres;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(PostgresBackend.class)
class PostgresChatPageBrowserTest extends ChatPageBrowserContract {

    @ConfigProperty(name = "parley.database-url")
    String databaseUrl;

    /** Another session locks the table the readiness probe writes, so that no probe write can commit. */
    @Override
    AutoCloseable stallWrites() throws Exception {
        Connection foreign = TestPostgres.connect(databaseUrl);
        foreign.setAutoCommit(false);
        try (Statement st = foreign.createStatement()) {
            st.execute("LOCK TABLE heartbeats IN EXCLUSIVE MODE");
        }
        return () -> {
            foreign.rollback();
            foreign.close();
        };
    }
}
