/**
 * Operations: choosing the backend from {@code DATABASE_URL}, the start-up sequence (file lock, migrations, writer),
 * health checks, metrics and diagnostics.
 */
package dev.parley.ops;
