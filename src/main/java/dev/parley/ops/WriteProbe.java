package dev.parley.ops;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import org.jboss.logging.Logger;

import dev.parley.store.Backend;
import dev.parley.store.DatabaseReady;
import dev.parley.store.Heartbeats;
import dev.parley.store.ProcessInstance;
import dev.parley.store.Timestamps;

/**
 * Proves, every {@code parley.health.write-probe-interval}, that a write still commits, by updating this process's
 * heartbeat row through the normal write path. Readiness turns DOWN when no probe committed within
 * {@code parley.health.write-stall-timeout} and names the likely cause; it comes back by itself.
 *
 * <p>
 * Its own timer rather than {@code @Scheduled}: Quarkus' simple scheduler checks its triggers once a second, too
 * coarse for a probe that must run every second (or faster in tests) to tell a stall within a few seconds.
 */
@ApplicationScoped
public class WriteProbe {

    private static final Logger LOG = Logger.getLogger(WriteProbe.class);

    private final Heartbeats heartbeats;
    private final Instance<Backend> backend;
    private final Duration interval;
    private final Duration stallTimeout;

    private final String instance = ProcessInstance.ID;
    private final AtomicBoolean inFlight = new AtomicBoolean();
    private volatile long lastSuccessNanos;
    private volatile String lastError;
    private volatile boolean stalled;
    private ScheduledExecutorService timer;

    WriteProbe(Heartbeats heartbeats, Instance<Backend> backend, HealthSettings settings) {
        this.heartbeats = heartbeats;
        this.backend = backend;
        this.interval = settings.writeProbeInterval();
        this.stallTimeout = settings.writeStallTimeout();
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
    public Optional<String> stall() {
        if (timer == null || sinceLastWrite().compareTo(stallTimeout) <= 0) {
            return Optional.empty();
        }
        return Optional.of(stallReason());
    }

    private String stallReason() {
        String error = lastError;
        return "no write committed for " + sinceLastWrite().toSeconds() + " s"
                + backend.get().writeStallCause().or(() -> Optional.ofNullable(error)).map(c -> ": " + c).orElse("");
    }

    /** A step of {@link GracefulShutdown}: no more probe writes once the database is about to close. */
    void stop() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
