package dev.parley.billing;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(StripeSqliteBackend.class)
class SqliteStripeWebhookTest extends StripeWebhookContract {
}
