package dev.parley.usage;

import java.util.Map;

import dev.parley.testing.SqliteBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(SqliteUpstreamOverloadTest.OneConnection.class)
class SqliteUpstreamOverloadTest extends UpstreamOverloadContract {

    public static class OneConnection extends SqliteBackend {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new java.util.HashMap<>(super.getConfigOverrides());
            config.putAll(ONE_CONNECTION);
            return config;
        }
    }
}
