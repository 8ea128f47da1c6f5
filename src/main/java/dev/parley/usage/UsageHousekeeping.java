package dev.parley.usage;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.parley.store.DatabaseReady;
import dev.parley.store.ProcessInstance;
import dev.parley.store.Timestamps;
import dev.parley.store.UsageStore;
import io.quarkus.scheduler.Scheduled;

/**
 * Keeps the limit counters small: per-minute windows are needed only for their minute (two are kept, for clocks a
 * little apart between replicas), and the in-flight counts of processes that died are dropped once they have been
 * silent for an hour (they stopped counting after {@link dev.parley.store.TurnStore#ALIVE}). Once a minute, off the
 * request path; the rollups and month windows are never pruned.
 */
@ApplicationScoped
public class UsageHousekeeping {

    private static final Logger LOG = Logger.getLogger(UsageHousekeeping.class);
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm")
            .withZone(ZoneOffset.UTC);
    static final Duration DEAD_AFTER = Duration.ofHours(1);

    private final UsageStore store;
    private volatile boolean ready;

    UsageHousekeeping(UsageStore store) {
        this.store = store;
    }

    void onReady(@Observes DatabaseReady event) {
        ready = true;
    }

    @Scheduled(identity = "usage-housekeeping", every = "60s", delayed = "30s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void onSchedule() {
        if (!ready) {
            return;
        }
        try {
            prune(Timestamps.now());
        } catch (RuntimeException e) {
            LOG.debugf("Usage housekeeping did not run: %s", e.getMessage());
        }
    }

    /** Prunes what is older than needed at {@code now}; returns the rows removed. */
    public int prune(Instant now) {
        String keepFrom = MINUTE.format(now.truncatedTo(ChronoUnit.MINUTES).minus(1, ChronoUnit.MINUTES));
        int minutes = store.pruneMinutes(keepFrom).await().atMost(Duration.ofSeconds(30));
        int dead = store.pruneInFlight(ProcessInstance.ID, now.minus(DEAD_AFTER)).await()
                .atMost(Duration.ofSeconds(30));
        return minutes + dead;
    }
}
