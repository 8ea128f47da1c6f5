package dev.parley.ops;

import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import org.jboss.logging.Logger;

import dev.parley.store.Backend;
import dev.parley.store.DatabaseReady;
import dev.parley.store.Dialect;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;

/**
 * Periodic online backups ({@code PARLEY_BACKUP_INTERVAL}, off by default) on the backends where the server takes
 * them itself (SQLite), kept to the newest {@code PARLEY_BACKUP_KEEP}. A backup reads one snapshot and never blocks
 * the writer; a failed one is logged and counted, and the server keeps serving.
 */
@ApplicationScoped
public class ScheduledBackups {

    private static final Logger LOG = Logger.getLogger(ScheduledBackups.class);

    private final Instance<Backend> backend;
    private final BackupSettings settings;
    private final Counter succeeded;
    private final Counter failed;
    private final AtomicLong lastSuccessEpochSeconds = new AtomicLong();
    private volatile boolean ready;

    ScheduledBackups(Instance<Backend> backend, BackupSettings settings, MeterRegistry registry) {
        this.backend = backend;
        this.settings = settings;
        this.succeeded = registry.counter("parley_backups", "outcome", "success");
        this.failed = registry.counter("parley_backups", "outcome", "failure");
        registry.gauge("parley_backup_last_success_timestamp_seconds", lastSuccessEpochSeconds);
    }

    void onReady(@Observes DatabaseReady event) {
        if (settings.interval().isEmpty()) {
            return;
        }
        if (!backend.get().takesScheduledBackups()) {
            LOG.info("PARLEY_BACKUP_INTERVAL is set, but this backend is backed up with its own tools (see "
                    + "parley backup); the server takes no scheduled backups");
            return;
        }
        ready = true;
        Dialect.BackupPolicy policy = settings.policy();
        LOG.infof("Scheduled backups every %s into %s, keeping the newest %d", settings.interval().get(),
                policy.dir() == null ? "the database's directory" : policy.dir(), policy.keep());
    }

    @Scheduled(identity = "backup", every = "${parley.backup.interval:off}", delayed = "${parley.backup.interval:0s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void backupNow() {
        if (!ready) {
            return;
        }
        Dialect dialect = backend.get().dialect();
        try {
            Dialect.Backup b = dialect.backup(java.util.Optional.empty(), settings.policy());
            lastSuccessEpochSeconds.set(java.time.Instant.now().getEpochSecond());
            succeeded.increment();
            LOG.infof("Backed up %s to %s (%d bytes in %d ms)", dialect.describe(), b.location(), b.bytes(),
                    b.took().toMillis());
        } catch (RuntimeException e) {
            failed.increment();
            LOG.errorf("Scheduled backup of %s failed: %s", dialect.describe(), e.getMessage());
        }
    }
}
