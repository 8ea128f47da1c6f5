package dev.parley.store.postgres;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.Cursor;
import dev.parley.store.Message;
import dev.parley.store.MessageStore;
import dev.parley.store.Page;
import io.smallrye.mutiny.Uni;

@ApplicationScoped
@Typed(PgMessageStore.class)
public class PgMessageStore implements MessageStore {

    private final PgSessions sessions;

    PgMessageStore(PgSessions sessions) {
        this.sessions = sessions;
    }

    @Override
    public Uni<List<Message>> recent(UUID tenantId, UUID conversationId, int limit) {
        return sessions.inSession(s -> s.createSelectionQuery("from MessageEntity where tenantId = :tenant "
                + "and conversationId = :conversation order by createdAt desc, id desc", MessageEntity.class)
                .setParameter("tenant", tenantId)
                .setParameter("conversation", conversationId)
                .setMaxResults(limit)
                .getResultList())
                .map(rows -> {
                    List<Message> messages = new ArrayList<>(rows.stream().map(MessageEntity::toRecord).toList());
                    Collections.reverse(messages);
                    return messages;
                });
    }

    @Override
    public Uni<Page<Message>> list(UUID tenantId, UUID conversationId, Cursor after, int limit) {
        String hql = "from MessageEntity where tenantId = :tenant and conversationId = :conversation"
                + (after == null ? "" : " and (createdAt > :at or (createdAt = :at and id > :id))")
                + " order by createdAt, id";
        return sessions.inSession(s -> {
            var q = s.createSelectionQuery(hql, MessageEntity.class)
                    .setParameter("tenant", tenantId)
                    .setParameter("conversation", conversationId)
                    .setMaxResults(limit + 1);
            if (after != null) {
                q.setParameter("at", after.at()).setParameter("id", after.id());
            }
            return q.getResultList();
        }).map(rows -> Page.of(rows.stream().map(MessageEntity::toRecord).toList(), limit,
                m -> Cursor.of(m.createdAt(), m.id())));
    }
}
