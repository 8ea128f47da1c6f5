/**
 * Operations: choosing the backend from {@code DATABASE_URL}, the start-up sequence (file lock, migrations, writer),
 * the graceful shutdown, health checks, metrics and diagnostics.
 */
package dev.parley.ops;
