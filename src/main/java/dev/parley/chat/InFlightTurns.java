package dev.parley.chat;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The chat turns in flight, from admission (before the user message is stored) until the reply is stored. A shutdown
 * {@link #drain drains} them: no new turn is admitted, the ones in flight may finish within a grace period, and the
 * ones still streaming after it are cut, which stores what they produced as a partial reply. Quarkus' own graceful
 * shutdown cannot do this: it does not know that an open SSE response is a reply still to be stored.
 */
@ApplicationScoped
public class InFlightTurns {

    /** What a drain saw: turns in flight when it began, how many were cut, and how many never ended. */
    public record Drained(int inFlight, int cut, int unfinished, Duration took) {
    }

    private final Set<Entry> admitted = new HashSet<>();
    private boolean draining;

    /** Admits a new turn; refused once a drain has begun. */
    synchronized Entry admit() {
        if (draining) {
            throw new ShuttingDownException();
        }
        Entry admission = new Entry();
        admitted.add(admission);
        return admission;
    }

    public synchronized int count() {
        return admitted.size();
    }

    /** New turns are refused from now on; returns how many are in flight. */
    public synchronized int refuseNew() {
        draining = true;
        return admitted.size();
    }

    /**
     * Refuses new turns from now on and waits up to {@code grace} for the turns in flight to end. Turns still running
     * then are cut (stored as partial with finish reason {@code shutdown}); their stores get up to {@code storeTimeout}.
     */
    public Drained drain(Duration grace, Duration storeTimeout) throws InterruptedException {
        long start = System.nanoTime();
        int inFlight = refuseNew();
        int cut = 0;
        if (!awaitNone(start + grace.toNanos())) {
            Set<Entry> remaining;
            synchronized (this) {
                remaining = Set.copyOf(admitted);
            }
            for (Entry admission : remaining) {
                admission.cut();
            }
            cut = remaining.size();
            awaitNone(System.nanoTime() + storeTimeout.toNanos());
        }
        return new Drained(inFlight, cut, count(), Duration.ofNanos(System.nanoTime() - start));
    }

    private synchronized boolean awaitNone(long deadlineNanos) throws InterruptedException {
        while (!admitted.isEmpty()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    private synchronized void ended(Entry admission) {
        if (admitted.remove(admission)) {
            notifyAll();
        }
    }

    /** One turn in flight. The turn registers how to cut its stream once it streams, and reports when it ended. */
    final class Entry {
        private Runnable cutStream;
        private boolean cutRequested;

        /** Runs {@code cut} when a drain cuts this turn; at once if that already happened. */
        void onCut(Runnable cut) {
            boolean now;
            synchronized (this) {
                cutStream = cut;
                now = cutRequested;
            }
            if (now) {
                cut.run();
            }
        }

        private void cut() {
            Runnable cut;
            synchronized (this) {
                cutRequested = true;
                cut = cutStream;
            }
            if (cut != null) {
                cut.run();
            }
        }

        /** The reply is stored (or could not be): the turn no longer holds up a shutdown. Idempotent. */
        void end() {
            ended(this);
        }
    }
}
