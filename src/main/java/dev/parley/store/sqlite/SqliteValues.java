package dev.parley.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.UUID;

import dev.parley.store.Timestamps;

/** How Parley's types are stored in SQLite: ids as lower-case text, instants as epoch microseconds, booleans 0/1. */
final class SqliteValues {

    private SqliteValues() {
    }

    static void setId(PreparedStatement ps, int index, UUID id) throws SQLException {
        ps.setString(index, id.toString());
    }

    static UUID getId(ResultSet rs, String column) throws SQLException {
        return UUID.fromString(rs.getString(column));
    }

    static void setInstant(PreparedStatement ps, int index, Instant at) throws SQLException {
        if (at == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setLong(index, Timestamps.toMicros(at));
        }
    }

    static Instant getInstant(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Timestamps.fromMicros(v);
    }
}
