package dev.parley.store.sqlite;

import java.sql.Connection;
import java.sql.SQLException;

/** A unit of JDBC work run on a connection Parley lends for its duration. */
@FunctionalInterface
interface SqlWork<T> {
    T run(Connection connection) throws SQLException;
}
