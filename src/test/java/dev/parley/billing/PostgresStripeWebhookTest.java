package dev.parley.billing;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(StripePostgresBackend.class)
class PostgresStripeWebhookTest extends StripeWebhookContract {
}
