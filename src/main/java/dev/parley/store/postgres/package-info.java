/**
 * PostgreSQL adapter: Hibernate Reactive over the Vert.x reactive PostgreSQL pool. Writes are concurrent and short;
 * no transaction outlives a single store call.
 */
package dev.parley.store.postgres;
