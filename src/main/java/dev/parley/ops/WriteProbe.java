package dev.parley.ops;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import dev.parley.store.Heartbeats;
import dev.parley.store.Timestamps;
import dev.parley.store.sqlite.SqliteWriter;

/**
 * Proves, every {@code parley.health.write-probe-interval}, that a write still commits, by updating this process's
 * heartbeat row through the normal write path. Readiness turns DOWN when no probe committed within
 * {@code parley.health.write-stall-timeout} and names the likely cause; it comes back by itself.
 */
@ApplicationScoped
public class WriteProbe {

    private static final Logger LOG = Logger.getLogger(WriteProbe.class);

    @Inject
    Heartbeats heartbeats;

    @Inject
    ActiveBackend backend;

    @Inject
    SqliteWriter sqliteWriter;

    @ConfigProperty(name = "parley.health.write-probe-interval", defaultValue = "1s")
    Duration interval;

    @ConfigProperty(name = "parley.health.write-stall-timeout", defaultValue = "5s")
    Duration stallTimeout;

    private final String instance = instanceName();
    private final AtomicBoolean inFlight = new AtomicBoolean();
    private volatile long lastSuccessNanos;
    private volatile String lastError;
    private volatile boolean stalled;
    private ScheduledExecutorService timer;

    private static String instanceName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "pid-" + ProcessHandle.current().pid();
        }
    }

    void onReady(@Observes DatabaseReady ready) {
        lastSuccessNanos = System.nanoTime();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "parley-write-probe");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::probe, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void probe() {
        if (!inFlight.compareAndSet(false, true)) {
            return; // the previous probe has not committed yet; readiness measures how long that takes
        }
        heartbeats.beat(instance, Timestamps.now()).subscribe().with(ok -> {
            lastSuccessNanos = System.nanoTime();
            lastError = null;
            inFlight.set(false);
            if (stalled) {
                stalled = false;
                LOG.info("Writes commit again; ready");
            }
        }, failure -> {
            lastError = String.valueOf(failure.getMessage());
            inFlight.set(false);
        });
        Duration since = sinceLastWrite();
        if (!stalled && since.compareTo(stallTimeout) > 0) {
            stalled = true;
            LOG.errorf("No write committed for %d s: %s", since.toSeconds(), stallReason());
        }
    }

    public Duration sinceLastWrite() {
        return Duration.ofNanos(System.nanoTime() - lastSuccessNanos);
    }

    /** Empty when writes commit; otherwise why readiness is DOWN. */
    public java.util.Optional<String> stall() {
        if (timer == null || sinceLastWrite().compareTo(stallTimeout) <= 0) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(stallReason());
    }

    private String stallReason() {
        long seconds = sinceLastWrite().toSeconds();
        if (backend.isSqlite()) {
            Duration lockWait = sqliteWriter.lockWaiting();
            if (!lockWait.isZero()) {
                return "no write committed for " + seconds + " s: the SQLite writer has waited "
                        + lockWait.toSeconds() + " s for the write lock, held by another process or connection";
            }
            return "no write committed for " + seconds + " s (writer queue " + sqliteWriter.queueDepth() + ")"
                    + (lastError == null ? "" : ": " + lastError);
        }
        return "no write committed for " + seconds + " s" + (lastError == null ? "" : ": " + lastError);
    }

    /** A step of {@link GracefulShutdown}: no more probe writes once the database is about to close. */
    void stop() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
