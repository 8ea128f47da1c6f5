package dev.parley.provider;

import dev.parley.testing.PostgresBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(PostgresBackend.class)
class PostgresTenantUpstreamTest extends TenantUpstreamContract {
}
