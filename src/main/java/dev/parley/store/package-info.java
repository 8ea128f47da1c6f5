/**
 * Store ports: one small interface per aggregate, returning {@code Uni}, and the records they carry. No SQL here; the
 * adapters in {@code store.sqlite} and {@code store.postgres} implement them, and exactly one set is active at runtime.
 */
package dev.parley.store;
