package dev.parley.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import dev.parley.ops.DatabaseReady;
import dev.parley.store.TenantStore;
import dev.parley.store.Timestamps;
import io.quarkus.runtime.ShutdownEvent;

/**
 * Remembers when each key was last used and writes those times in one batch per interval, instead of an
 * {@code UPDATE api_keys SET last_used_at} on every request (the write that locks up peers on SQLite).
 */
@ApplicationScoped
public class KeyUseRecorder {

    private static final Logger LOG = Logger.getLogger(KeyUseRecorder.class);

    @Inject
    TenantStore tenants;

    @ConfigProperty(name = "parley.auth.key-use-flush-interval", defaultValue = "60s")
    Duration interval;

    private final ConcurrentHashMap<UUID, Instant> pending = new ConcurrentHashMap<>();
    private ScheduledExecutorService timer;

    void record(UUID keyId) {
        pending.put(keyId, Timestamps.now());
    }

    void onReady(@Observes DatabaseReady ready) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "parley-key-use-flush");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::flushQuietly, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Writes the collected last-use times now. */
    public void flush() {
        if (pending.isEmpty()) {
            return;
        }
        Map<UUID, Instant> batch = new HashMap<>();
        for (UUID id : pending.keySet()) {
            Instant at = pending.remove(id);
            if (at != null) {
                batch.put(id, at);
            }
        }
        tenants.recordKeyUse(batch).await().atMost(Duration.ofSeconds(30));
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.warnf("Could not record API key use: %s", e.getMessage());
        }
    }

    void onStop(@Observes @jakarta.annotation.Priority(1) ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
            flushQuietly();
        }
    }
}
