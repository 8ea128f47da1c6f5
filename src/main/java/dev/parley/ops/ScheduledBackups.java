package dev.parley.ops;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.parley.ops.data.SqliteBackups;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;

/**
 * Periodic online backups of the SQLite database ({@code PARLEY_BACKUP_INTERVAL}, off by default), kept to the newest
 * {@code PARLEY_BACKUP_KEEP}. A backup reads one snapshot and never blocks the writer; a failed one is logged and
 * counted, and the server keeps serving.
 */
@ApplicationScoped
public class ScheduledBackups {

    private static final Logger LOG = Logger.getLogger(ScheduledBackups.class);

    @Inject
    ActiveBackend backend;

    @Inject
    MeterRegistry registry;

    @Inject
    BackupSettings settings;

    private final AtomicLong lastSuccessEpochSeconds = new AtomicLong();
    private ScheduledExecutorService executor;
    private Counter succeeded;
    private Counter failed;

    void onReady(@Observes DatabaseReady ready) {
        Duration interval = settings.interval().orElse(Duration.ZERO);
        if (!backend.isSqlite() || interval.isZero() || interval.isNegative()) {
            return;
        }
        succeeded = registry.counter("parley_backups", "outcome", "success");
        failed = registry.counter("parley_backups", "outcome", "failure");
        registry.gauge("parley_backup_last_success_timestamp_seconds", lastSuccessEpochSeconds);
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "parley-backup");
            t.setDaemon(true);
            return t;
        });
        long every = interval.toMillis();
        executor.scheduleWithFixedDelay(this::backupNow, every, every, TimeUnit.MILLISECONDS);
        SqliteBackups.Policy policy = settings.policy(backend.sqlitePath());
        LOG.infof("Scheduled backups every %s into %s, keeping the newest %d", interval, policy.directory(),
                policy.keep());
    }

    void backupNow() {
        Path db = backend.sqlitePath();
        SqliteBackups.Policy policy = settings.policy(db);
        try {
            SqliteBackups.Backup b = SqliteBackups.backup(db, policy.fileFor(Instant.now()));
            policy.prune();
            lastSuccessEpochSeconds.set(Instant.now().getEpochSecond());
            succeeded.increment();
            LOG.infof("Backed up %s to %s (%d bytes in %d ms)", db, b.file(), b.bytes(), b.took().toMillis());
        } catch (RuntimeException e) {
            failed.increment();
            LOG.errorf("Scheduled backup of %s failed: %s", db, e.getMessage());
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
