package dev.parley.search;

import dev.parley.testing.PostgresBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(PostgresBackend.class)
class PostgresSearchTest extends SearchContract {
}
