package dev.parley.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.parley.store.DatabaseReady;
import dev.parley.store.TenantStore;
import dev.parley.store.Timestamps;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * Remembers when each key was last used and writes those times in one batch per interval, instead of an
 * {@code UPDATE api_keys SET last_used_at} on every request (the write that locks up peers on SQLite).
 */
@ApplicationScoped
public class KeyUseRecorder {

    private static final Logger LOG = Logger.getLogger(KeyUseRecorder.class);

    private final TenantStore tenants;
    private final ConcurrentHashMap<UUID, Instant> pending = new ConcurrentHashMap<>();
    private volatile boolean ready;

    KeyUseRecorder(TenantStore tenants) {
        this.tenants = tenants;
    }

    void record(UUID keyId) {
        pending.put(keyId, Timestamps.now());
    }

    void onReady(@Observes DatabaseReady event) {
        ready = true;
    }

    @Scheduled(identity = "key-use-flush", every = "${parley.auth.key-use-flush-interval}",
            delayed = "${parley.auth.key-use-flush-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void flushOnSchedule() {
        if (ready) {
            flushQuietly();
        }
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
        if (ready) {
            flushQuietly();
        }
    }
}
