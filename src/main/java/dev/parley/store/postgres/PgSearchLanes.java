package dev.parley.store.postgres;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import dev.parley.store.StoreOverloadedException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * At most {@code lanes} searches of a process on the database at once; the others wait in the order they came, at
 * most {@code maxWaiting} of them (beyond that a search is refused with {@link StoreOverloadedException}, a 503).
 *
 * <p>Why: searches are the database's heaviest reads, and PostgreSQL runs every statement it is given at once, each
 * backend taking its share of the cores. With sixteen searches at a time on two cores a costly search (a phrase of
 * common words, 30 ms of CPU) took many times its own time, and the cheap ones shared the cores with it; four at a
 * time, the others waiting here in order, took the 99th percentile at 16 clients from 159-205 ms to 114-127 ms
 * (bench/README.md, "Searches four at a time"). SQLite's searches are bounded the same way by its reader
 * connections ({@code PARLEY_SQLITE_READERS}, also 4).
 *
 * <p>A search that was waiting starts on its own Vert.x context, so that its statement's answer comes back on the
 * thread of its request. A search cancelled while waiting leaves the queue; one cancelled while running keeps its lane
 * until its statement ends.
 */
final class PgSearchLanes {

    private final int lanes;
    private final int maxWaiting;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    private int running;

    PgSearchLanes(int lanes, int maxWaiting) {
        this.lanes = lanes;
        this.maxWaiting = maxWaiting;
    }

    /** One search waiting for a lane: what it runs, and where; {@code ended} once its subscriber went away. */
    private record Waiter(Runnable start, Context context, AtomicBoolean ended) {
    }

    /** {@code search}, run when a lane is free; subscribed to once per subscription of the result. */
    <T> Uni<T> run(Supplier<Uni<T>> search) {
        return Uni.createFrom().emitter(emitter -> {
            AtomicBoolean ended = new AtomicBoolean();
            Waiter waiter = new Waiter(() -> start(search, emitter, ended), Vertx.currentContext(), ended);
            boolean now;
            boolean full = false;
            synchronized (this) {
                now = running < lanes;
                if (now) {
                    running++;
                } else if (waiting.size() >= maxWaiting) {
                    full = true;
                } else {
                    waiting.add(waiter);
                }
            }
            if (full) {
                emitter.fail(new StoreOverloadedException("too many searches waiting for the database", 1));
                return;
            }
            emitter.onTermination(() -> {
                ended.set(true);
                synchronized (this) {
                    waiting.remove(waiter);
                }
            });
            if (now) {
                waiter.start().run();
            }
        });
    }

    private <T> void start(Supplier<Uni<T>> search, UniEmitter<? super T> emitter, AtomicBoolean ended) {
        if (ended.get()) { // cancelled while it waited, and taken from the queue before it could leave it
            release();
            return;
        }
        Uni<T> uni;
        try {
            uni = search.get();
        } catch (RuntimeException e) {
            release();
            emitter.fail(e);
            return;
        }
        uni.subscribe().with(item -> {
            release();
            emitter.complete(item);
        }, failure -> {
            release();
            emitter.fail(failure);
        });
    }

    /** A lane is free: the longest waiting search takes it, or the lane stays free. */
    private void release() {
        Waiter next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                running--;
                return;
            }
        }
        if (next.context() != null && next.context() != Vertx.currentContext()) {
            next.context().runOnContext(v -> next.start().run());
        } else {
            next.start().run();
        }
    }

    /** Searches running now (tests). */
    synchronized int running() {
        return running;
    }

    /** Searches waiting for a lane (tests). */
    synchronized int waiting() {
        return waiting.size();
    }
}
