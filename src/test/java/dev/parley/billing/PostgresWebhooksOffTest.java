package dev.parley.billing;

import dev.parley.testing.PostgresBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(PostgresBackend.class)
class PostgresWebhooksOffTest extends WebhooksOffContract {
}
