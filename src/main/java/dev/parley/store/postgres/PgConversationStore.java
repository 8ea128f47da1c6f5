package dev.parley.store.postgres;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.Conversation;
import dev.parley.store.ConversationChange;
import dev.parley.store.ConversationStore;
import dev.parley.store.Cursor;
import dev.parley.store.Page;
import io.smallrye.mutiny.Uni;

@ApplicationScoped
@Typed(PgConversationStore.class)
public class PgConversationStore implements ConversationStore {

    private final PgSessions sessions;

    PgConversationStore(PgSessions sessions) {
        this.sessions = sessions;
    }

    @Override
    public Uni<Void> create(Conversation conversation) {
        return sessions.inTransaction(s -> s.persist(ConversationEntity.of(conversation)));
    }

    @Override
    public Uni<Optional<Conversation>> find(UUID tenantId, UUID id) {
        return sessions.inSession(s -> s
                .createSelectionQuery("from ConversationEntity where tenantId = :tenant and id = :id",
                        ConversationEntity.class)
                .setParameter("tenant", tenantId)
                .setParameter("id", id)
                .getSingleResultOrNull()
                .map(e -> Optional.ofNullable(e).map(ConversationEntity::toRecord)));
    }

    @Override
    public Uni<Page<Conversation>> list(UUID tenantId, boolean archived, Cursor after, int limit) {
        String hql = "from ConversationEntity where tenantId = :tenant and archived = :archived"
                + (after == null ? "" : " and (updatedAt < :at or (updatedAt = :at and id < :id))")
                + " order by updatedAt desc, id desc";
        return sessions.inSession(s -> {
            var q = s.createSelectionQuery(hql, ConversationEntity.class)
                    .setParameter("tenant", tenantId)
                    .setParameter("archived", archived)
                    .setMaxResults(limit + 1);
            if (after != null) {
                q.setParameter("at", after.at()).setParameter("id", after.id());
            }
            return q.getResultList();
        }).map(rows -> Page.of(rows.stream().map(ConversationEntity::toRecord).toList(), limit,
                c -> Cursor.of(c.updatedAt(), c.id())));
    }

    @Override
    public Uni<Optional<Conversation>> update(UUID tenantId, UUID id, ConversationChange change, Instant now) {
        return sessions.inTransaction(s -> s
                .createSelectionQuery("from ConversationEntity where tenantId = :tenant and id = :id",
                        ConversationEntity.class)
                .setParameter("tenant", tenantId)
                .setParameter("id", id)
                .setLockMode(jakarta.persistence.LockModeType.PESSIMISTIC_WRITE)
                .getSingleResultOrNull()
                .map(e -> {
                    if (e == null) {
                        return Optional.<Conversation> empty();
                    }
                    change.title().ifPresent(t -> e.title = t);
                    change.archived().ifPresent(a -> e.archived = a);
                    change.metadata().ifPresent(m -> e.metadata = m);
                    e.updatedAt = now;
                    return Optional.of(e.toRecord());
                }));
    }

    @Override
    public Uni<Boolean> delete(UUID tenantId, UUID id) {
        return sessions.inTransaction(s -> s
                .createMutationQuery("delete from ConversationEntity where tenantId = :tenant and id = :id")
                .setParameter("tenant", tenantId)
                .setParameter("id", id)
                .executeUpdate()
                .map(n -> n > 0));
    }
}
