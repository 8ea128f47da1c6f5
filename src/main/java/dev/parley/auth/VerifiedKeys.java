package dev.parley.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.parley.store.ApiKey;
import dev.parley.store.DatabaseReady;
import dev.parley.store.TenantStore;
import dev.parley.store.Timestamps;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.security.AuthenticationFailedException;
import io.smallrye.mutiny.Uni;

/**
 * API keys as authentication sees them: a key is hashed and looked up once (one indexed read), then remembered for
 * {@code PARLEY_AUTH_CACHE_TTL}. A remembered key is dropped at once when this process revokes it, and within about a
 * second when another process does (a replica, or {@code parley revoke-api-key}): every second this process reads the
 * keys revoked since its last look. An expired key is refused from the moment it expires, cached or not.
 */
@ApplicationScoped
public class VerifiedKeys {

    private static final Logger LOG = Logger.getLogger(VerifiedKeys.class);
    private static final int CACHE_LIMIT = 10_000;
    /** How often revocations made elsewhere are read. */
    static final Duration REVOCATION_POLL = Duration.ofSeconds(1);
    /** Revocation times come from other processes' clocks: look back this far past the newest one seen. */
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(30);

    private record Cached(ApiKey key, long expiresAtNanos) {
    }

    private final TenantStore store;
    private final long ttlNanos;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();
    private final AtomicBoolean polling = new AtomicBoolean();
    private volatile Instant newestRevocation = Timestamps.now();
    private ScheduledExecutorService timer;

    VerifiedKeys(TenantStore store, AuthSettings settings) {
        this.store = store;
        this.ttlNanos = settings.auth().cacheTtl().toNanos();
    }

    /** The key behind {@code token}, if it is one Parley issued and it is neither revoked nor expired. */
    Uni<ApiKey> verify(String token) {
        String hash = ApiKeys.hash(token);
        Cached cached = cache.get(hash);
        Uni<ApiKey> key = cached != null && cached.expiresAtNanos() - System.nanoTime() > 0
                ? Uni.createFrom().item(cached.key())
                : store.findKey(hash).map(found -> {
                    ApiKey k = found.orElseThrow(() -> new AuthenticationFailedException("unknown API key"));
                    if (cache.size() >= CACHE_LIMIT) {
                        cache.clear();
                    }
                    cache.put(hash, new Cached(k, System.nanoTime() + ttlNanos));
                    return k;
                });
        return key.map(k -> {
            Instant now = Instant.now();
            if (k.revokedAt() != null) {
                throw new AuthenticationFailedException("the API key was revoked");
            }
            if (k.expiresAt() != null && !now.isBefore(k.expiresAt())) {
                throw new AuthenticationFailedException("the API key expired at " + k.expiresAt());
            }
            return k;
        });
    }

    /** Forgets a key this process just revoked, so that its next use is refused. */
    void forget(String hash) {
        cache.remove(hash);
    }

    void onReady(@Observes DatabaseReady ready) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "parley-key-revocations");
            t.setDaemon(true);
            return t;
        });
        long every = REVOCATION_POLL.toMillis();
        timer.scheduleWithFixedDelay(this::pollRevocations, every, every, TimeUnit.MILLISECONDS);
    }

    private void pollRevocations() {
        if (cache.isEmpty() || !polling.compareAndSet(false, true)) {
            return; // nothing remembered, nothing to drop
        }
        Instant since = newestRevocation.minus(CLOCK_SKEW);
        store.revokedSince(since).subscribe().with(this::dropRevoked, failure -> {
            polling.set(false);
            LOG.debugf("Could not read revoked API keys: %s", failure.getMessage());
        });
    }

    private void dropRevoked(List<TenantStore.Revocation> revoked) {
        try {
            for (TenantStore.Revocation r : revoked) {
                if (cache.remove(r.hash()) != null) {
                    LOG.debugf("Dropped a key revoked at %s from the cache", r.at());
                }
                if (r.at().isAfter(newestRevocation)) {
                    newestRevocation = r.at();
                }
            }
        } finally {
            polling.set(false);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        Optional.ofNullable(timer).ifPresent(ScheduledExecutorService::shutdownNow);
    }
}
