package dev.parley.api;

import dev.parley.testing.PostgresBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(PostgresBackend.class)
class PostgresApiFuzzTest extends ApiFuzzContract {
}
