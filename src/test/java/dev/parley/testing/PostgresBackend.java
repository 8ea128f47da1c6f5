package dev.parley.testing;

import java.util.List;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Runs a test class, with the fake upstreams configured, against a fresh PostgreSQL database (see {@link TestPostgres}). */
public class PostgresBackend implements QuarkusTestProfile {

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(TestPostgres.Resource.class),
                new TestResourceEntry(FakeUpstream.Resource.class));
    }

    @Override
    public String getConfigProfile() {
        return "test";
    }
}
