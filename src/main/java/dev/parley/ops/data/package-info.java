/**
 * Operations on data outside the serving path: a plain JDBC connection to either backend ({@link OpsDatabase}), the
 * table model both dialects share ({@link Table}), migrations with a SQLite backup first ({@link Migrations}), online
 * SQLite backups ({@link SqliteBackups}) and the verified copy between backends ({@link CopyData}).
 */
package dev.parley.ops.data;
