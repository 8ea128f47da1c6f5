/**
 * Everything SQLite: plain JDBC through Agroal, never on the event loop. All writes go through {@link
 * dev.parley.store.sqlite.SqliteWriter}, one thread that owns the only read-write connection and commits queued
 * operations in groups; reads go through {@link dev.parley.store.sqlite.SqliteReaders}, a pool of query-only WAL
 * connections. It also owns the file lock, the pragmas, the value codec, backups and restore
 * ({@link dev.parley.store.sqlite.SqliteDialect}) and the server-side {@link dev.parley.store.Backend}.
 */
package dev.parley.store.sqlite;
