package dev.parley.store;

import dev.parley.testing.SqliteBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(SqliteBackend.class)
class SqliteStoreTest extends StoreContract {
}
