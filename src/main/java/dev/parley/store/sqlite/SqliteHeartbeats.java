package dev.parley.store.sqlite;

import java.sql.PreparedStatement;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.Heartbeats;
import io.smallrye.mutiny.Uni;

@ApplicationScoped
@Typed(SqliteHeartbeats.class)
public class SqliteHeartbeats implements Heartbeats {

    private final SqliteWriter writer;

    SqliteHeartbeats(SqliteWriter writer) {
        this.writer = writer;
    }

    @Override
    public Uni<Void> beat(String instance, Instant at) {
        return writer.submit("heartbeat", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO heartbeats (instance, beat_at) VALUES (?, ?) "
                    + "ON CONFLICT (instance) DO UPDATE SET beat_at = excluded.beat_at")) {
                ps.setString(1, instance);
                SqliteCodec.setInstant(ps, 2, at);
                ps.executeUpdate();
            }
            return null;
        });
    }
}
