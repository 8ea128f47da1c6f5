/**
 * Store ports: one small interface per aggregate, returning {@code Uni}, the records they carry, and the two ports
 * through which the rest of Parley reaches a database without knowing which: {@link dev.parley.store.Backend} (the
 * running server's) and {@link dev.parley.store.Dialect} (the operations tools'). No SQL here; the adapters in
 * {@code store.sqlite} and {@code store.postgres} implement them, and exactly one set is active at runtime.
 */
package dev.parley.store;
