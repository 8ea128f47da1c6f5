package dev.parley.search;

import dev.parley.testing.SqliteBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(SqliteBackend.class)
class SqliteSearchTest extends SearchContract {
}
