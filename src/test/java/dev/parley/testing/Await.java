package dev.parley.testing;

import java.time.Duration;

import io.smallrye.mutiny.Uni;

/** Blocks a test thread on a store call; the stores themselves hop to the right threads. */
public final class Await {

    private Await() {
    }

    public static <T> T result(Uni<T> uni) {
        return uni.await().atMost(Duration.ofSeconds(30));
    }
}
