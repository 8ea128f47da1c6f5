/**
 * Operations, through the {@link dev.parley.store.Backend} port only: the composition root that picks the adapter
 * from {@code DATABASE_URL} ({@link dev.parley.ops.ActiveBackend}, the one class that knows both adapters), the
 * start-up sequence, readiness and the write probe, diagnostics, scheduled backups and the graceful shutdown.
 */
package dev.parley.ops;
