package dev.parley.store;

import java.time.Instant;

import io.smallrye.mutiny.Uni;

/** A tiny write that proves the database still accepts writes; the readiness probe calls it periodically. */
public interface Heartbeats {

    Uni<Void> beat(String instance, Instant at);
}
