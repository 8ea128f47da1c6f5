package dev.parley.store.postgres;

import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.Heartbeats;
import io.smallrye.mutiny.Uni;

@ApplicationScoped
@Typed(PgHeartbeats.class)
public class PgHeartbeats implements Heartbeats {

    private final PgSessions sessions;

    PgHeartbeats(PgSessions sessions) {
        this.sessions = sessions;
    }

    @Override
    public Uni<Void> beat(String instance, Instant at) {
        return sessions.inSession(s -> s.createNativeQuery("INSERT INTO heartbeats (instance, beat_at) "
                + "VALUES (:instance, :at) ON CONFLICT (instance) DO UPDATE SET beat_at = excluded.beat_at")
                .setParameter("instance", instance)
                .setParameter("at", at)
                .executeUpdate()
                .replaceWithVoid());
    }
}
