package dev.parley.testing;

import java.time.Duration;
import java.util.function.Supplier;

/** Waits for a condition that another thread makes true, instead of sleeping a guessed time. */
public final class Eventually {

    private Eventually() {
    }

    public static <T> T value(Supplier<T> probe, java.util.function.Predicate<T> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = probe.get();
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout + "; last value: " + last);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
            last = probe.get();
        }
        return last;
    }
}
