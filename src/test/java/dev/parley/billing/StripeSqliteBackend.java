package dev.parley.billing;

import java.util.HashMap;
import java.util.Map;

import dev.parley.testing.SqliteBackend;

/** SQLite with billing configured: both webhook secrets, the pro and team plans, a free budget. */
public class StripeSqliteBackend extends SqliteBackend {

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> config = new HashMap<>(super.getConfigOverrides());
        config.putAll(StripePostgresBackend.BILLING);
        return config;
    }
}
