package dev.parley.store;

/** The logical type of a column: what it holds, whatever each dialect stores it as. */
public enum ColumnType {
    /** UUID: {@code uuid} on PostgreSQL, lower-case TEXT on SQLite. */
    ID,
    TEXT,
    /** UTC instant at microsecond precision: {@code timestamptz} on PostgreSQL, epoch micros INTEGER on SQLite. */
    INSTANT,
    /** {@code boolean} on PostgreSQL, 0/1 INTEGER on SQLite. */
    BOOLEAN,
    INTEGER,
    /** A JSON document: {@code jsonb} on PostgreSQL, checked TEXT on SQLite. */
    JSON
}
