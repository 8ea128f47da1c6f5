package dev.parley.testing;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Runs a test class, with the fake upstreams configured, against a fresh SQLite file under target/. */
public class SqliteBackend implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        Path file = Path.of("target", "test-db", "parley-" + UUID.randomUUID() + ".db").toAbsolutePath();
        return Map.of("parley.database-url", "sqlite:" + file);
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(FakeUpstream.Resource.class));
    }

    @Override
    public String getConfigProfile() {
        return "test";
    }
}
