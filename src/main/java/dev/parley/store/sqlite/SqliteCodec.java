package dev.parley.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.UUID;

import dev.parley.store.ColumnType;
import dev.parley.store.Timestamps;

/**
 * How Parley's values are stored in SQLite: ids as lower-case text, instants as epoch microseconds, booleans 0/1,
 * JSON as checked text. The stores and the operations tools (through {@link SqliteDialect}) use this one codec.
 */
final class SqliteCodec {

    private SqliteCodec() {
    }

    static void setId(PreparedStatement ps, int index, UUID id) throws SQLException {
        ps.setString(index, id == null ? null : id.toString());
    }

    static UUID getId(ResultSet rs, String column) throws SQLException {
        String s = rs.getString(column);
        return s == null ? null : UUID.fromString(s);
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

    static Object read(ResultSet rs, int index, ColumnType type) throws SQLException {
        return switch (type) {
            case ID -> {
                String s = rs.getString(index);
                yield s == null ? null : UUID.fromString(s);
            }
            case TEXT, JSON -> rs.getString(index);
            case INSTANT -> {
                long v = rs.getLong(index);
                yield rs.wasNull() ? null : Timestamps.fromMicros(v);
            }
            case BOOLEAN -> {
                int v = rs.getInt(index);
                yield rs.wasNull() ? null : v != 0;
            }
            case INTEGER -> {
                long v = rs.getLong(index);
                yield rs.wasNull() ? null : v;
            }
        };
    }

    static void bind(PreparedStatement ps, int index, ColumnType type, Object value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.NULL);
            return;
        }
        switch (type) {
            case ID -> ps.setString(index, value.toString());
            case TEXT, JSON -> ps.setString(index, (String) value);
            case INSTANT -> ps.setLong(index, Timestamps.toMicros((Instant) value));
            case BOOLEAN -> ps.setInt(index, (Boolean) value ? 1 : 0);
            case INTEGER -> ps.setLong(index, (Long) value);
        }
    }
}
