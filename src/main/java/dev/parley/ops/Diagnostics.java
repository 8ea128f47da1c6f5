package dev.parley.ops;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

import dev.parley.store.Backend;
import dev.parley.store.DatabaseUrl;

/**
 * A point-in-time summary for operators: the backend, the schema, whether writes commit, and the backend's own
 * section on its write path and connection pools (lock waits, queueing, pool saturation). Served at
 * {@code /q/parley/diagnostics}.
 */
@ApplicationScoped
public class Diagnostics {

    private final ActiveBackend active;
    private final Instance<Backend> backend;
    private final DatabaseStartup startup;
    private final WriteProbe writeProbe;

    Diagnostics(ActiveBackend active, Instance<Backend> backend, DatabaseStartup startup, WriteProbe writeProbe) {
        this.active = active;
        this.backend = backend;
        this.startup = startup;
        this.writeProbe = writeProbe;
    }

    public Map<String, Object> snapshot() {
        DatabaseUrl url = active.url();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("backend", url.backend().id());
        d.put("database", url.describe());
        d.put("schemaVersion", startup.schemaVersion());
        d.put("migrated", startup.migrated());
        Map<String, Object> writes = new LinkedHashMap<>();
        writes.put("msSinceLastProbeCommit", writeProbe.sinceLastWrite().toMillis());
        writes.put("stalled", writeProbe.stall().orElse(null));
        d.put("writes", writes);
        d.put(url.backend().id(), backend.get().diagnostics());
        return d;
    }
}
