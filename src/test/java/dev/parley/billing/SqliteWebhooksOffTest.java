package dev.parley.billing;

import dev.parley.testing.SqliteBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(SqliteBackend.class)
class SqliteWebhooksOffTest extends WebhooksOffContract {
}
