package dev.parley.store;

/** Fired once at start-up after the database is migrated and writable; observers may now use the stores. */
public record DatabaseReady() {
}
