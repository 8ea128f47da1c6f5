/**
 * Operations on data outside the serving path, written once for both backends through the adapters'
 * {@link dev.parley.store.Dialect}: a plain JDBC connection ({@link dev.parley.ops.data.OpsDatabase}), migrations
 * with a backup first where the backend takes one ({@link dev.parley.ops.data.Migrations}) and the verified copy
 * between backends ({@link dev.parley.ops.data.CopyData}).
 */
package dev.parley.ops.data;
