package dev.parley.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.AgroalDataSourceMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.agroal.DataSource;
import io.quarkus.arc.InjectableInstance;
import dev.parley.store.sqlite.SqliteWriter;

/**
 * A point-in-time summary for operators: the backend, the schema, whether writes commit, and the state of the
 * write path and connection pools (lock waits, queueing, pool saturation). Served at {@code /q/parley/diagnostics}.
 */
@ApplicationScoped
public class Diagnostics {

    @Inject
    ActiveBackend backend;

    @Inject
    DatabaseStartup startup;

    @Inject
    WriteProbe writeProbe;

    @Inject
    SqliteWriter writer;

    @Inject
    @DataSource("sqlite")
    InjectableInstance<AgroalDataSource> readers;

    @Inject
    MeterRegistry registry;

    public Map<String, Object> snapshot() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("backend", backend.id());
        d.put("database", backend.description());
        d.put("schemaVersion", startup.schemaVersion());
        d.put("migrated", startup.migrated());
        Map<String, Object> writes = new LinkedHashMap<>();
        writes.put("msSinceLastProbeCommit", writeProbe.sinceLastWrite().toMillis());
        writes.put("stalled", writeProbe.stall().orElse(null));
        d.put("writes", writes);
        if (backend.isSqlite()) {
            d.put("sqlite", sqlite());
        } else {
            d.put("postgresql", Map.of("pool", meters("sql.pool"), "client", meters("postgresql")));
        }
        return d;
    }

    private Map<String, Object> sqlite() {
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("running", writer.isRunning());
        w.put("queueDepth", writer.queueDepth());
        w.put("commits", writer.commits());
        w.put("operations", writer.operations());
        w.put("operationsPerCommit", writer.commits() == 0 ? 0 : (double) writer.operations() / writer.commits());
        w.put("msSinceLastCommit", writer.sinceLastCommit().toMillis());
        w.put("msWaitingForWriteLockNow", writer.lockWaiting().toMillis());
        w.put("lastFailure", writer.lastFailure() == null ? null : writer.lastFailure().getMessage());
        Map<String, Object> r = new LinkedHashMap<>();
        AgroalDataSourceMetrics m = readers.get().getMetrics();
        r.put("maxSize", readers.get().getConfiguration().connectionPoolConfiguration().maxSize());
        r.put("active", m.activeCount());
        r.put("available", m.availableCount());
        r.put("awaiting", m.awaitingCount());
        r.put("maxUsed", m.maxUsedCount());
        r.put("msBlockingAverage", m.blockingTimeAverage().toMillis());
        Map<String, Object> wal = new LinkedHashMap<>();
        wal.put("sizeBytes", writer.walSizeBytes());
        wal.put("checkpoints", writer.checkpoints());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("writer", w);
        s.put("readers", r);
        s.put("wal", wal);
        return s;
    }

    /** Current values of the gauges whose name starts with {@code prefix}, e.g. the reactive pool's. */
    private Map<String, Object> meters(String prefix) {
        Map<String, Object> values = new TreeMap<>();
        for (Meter meter : registry.getMeters()) {
            String name = meter.getId().getName();
            if (name.startsWith(prefix) && meter instanceof Gauge g) {
                values.put(name.substring(prefix.length()).replaceFirst("^\\.", ""), g.value());
            }
        }
        return values;
    }
}
