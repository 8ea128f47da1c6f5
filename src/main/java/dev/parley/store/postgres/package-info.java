/**
 * Everything PostgreSQL: Hibernate Reactive over the Vert.x reactive PostgreSQL pool (writes are concurrent and short;
 * no transaction outlives a single store call), and, for the operations tools, JDBC, the value codec, {@code COPY}
 * and {@code pg_dump} ({@link dev.parley.store.postgres.PostgresDialect}).
 */
package dev.parley.store.postgres;
