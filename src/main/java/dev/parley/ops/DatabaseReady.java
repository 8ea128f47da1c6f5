package dev.parley.ops;

/** Fired once at start-up after the database is migrated and writable; observers may now use the stores. */
public record DatabaseReady(String backend) {
}
