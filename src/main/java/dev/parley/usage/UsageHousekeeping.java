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
import dev.parley.store.TurnStore;
import dev.parley.store.UsageStore;
import io.quarkus.scheduler.Scheduled;

/**
 * Keeps the limit counters small and true: per-minute windows are needed only for their minute (two are kept, for
 * clocks a little apart between replicas), pruned once a minute; the in-flight counts of processes that stopped
 * beating for {@link TurnStore#ALIVE} are dropped every {@value #IN_FLIGHT_EVERY} (on PostgreSQL their turns then
 * leave the subjects' totals, which the admission checks). Off the request path; the rollups and month windows are
 * never pruned.
 */
@ApplicationScoped
public class UsageHousekeeping {

    private static final Logger LOG = Logger.getLogger(UsageHousekeeping.class);
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm")
            .withZone(ZoneOffset.UTC);
    static final String IN_FLIGHT_EVERY = "10s";

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
        if (ready) {
            quietly(() -> pruneMinutes(Timestamps.now()));
        }
    }

    @Scheduled(identity = "usage-in-flight-housekeeping", every = IN_FLIGHT_EVERY, delayed = IN_FLIGHT_EVERY,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void onInFlightSchedule() {
        if (ready) {
            quietly(() -> pruneInFlight(Timestamps.now()));
        }
    }

    private static void quietly(Runnable prune) {
        try {
            prune.run();
        } catch (RuntimeException e) {
            LOG.debugf("Usage housekeeping did not run: %s", e.getMessage());
        }
    }

    /** Prunes what is older than needed at {@code now}; returns the rows removed. */
    public int prune(Instant now) {
        return pruneMinutes(now) + pruneInFlight(now);
    }

    private int pruneMinutes(Instant now) {
        String keepFrom = MINUTE.format(now.truncatedTo(ChronoUnit.MINUTES).minus(1, ChronoUnit.MINUTES));
        return store.pruneMinutes(keepFrom).await().atMost(Duration.ofSeconds(30));
    }

    private int pruneInFlight(Instant now) {
        return store.pruneInFlight(ProcessInstance.ID, now.minus(TurnStore.ALIVE)).await()
                .atMost(Duration.ofSeconds(30));
    }
}
