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
import dev.parley.store.NoSuchConversationException;
import dev.parley.store.Page;
import io.smallrye.mutiny.Uni;

@ApplicationScoped
@Typed(PgMessageStore.class)
public class PgMessageStore implements MessageStore {

    private final PgSessions sessions;

    PgMessageStore(PgSessions sessions) {
        this.sessions = sessions;
    }

    /** One statement, so one round trip: touch the conversation (tenant-checked) and insert only if it exists. */
    private static final String APPEND = "WITH touched AS (UPDATE conversations SET updated_at = GREATEST(updated_at, "
            + ":at) WHERE tenant_id = :tenant AND id = :conversation RETURNING id) "
            + "INSERT INTO messages (id, tenant_id, conversation_id, role, content, tokens_in, tokens_out, "
            + "finish_reason, created_at) SELECT :id, :tenant, id, :role, :content, :tokensIn, :tokensOut, "
            + "CAST(:finishReason AS text), :at FROM touched";

    @Override
    public Uni<Void> append(Message message) {
        return sessions.inSession(s -> s.createNativeQuery(APPEND)
                .setParameter("at", message.createdAt())
                .setParameter("tenant", message.tenantId())
                .setParameter("conversation", message.conversationId())
                .setParameter("id", message.id())
                .setParameter("role", message.role().id())
                .setParameter("content", message.content())
                .setParameter("tokensIn", message.tokensIn())
                .setParameter("tokensOut", message.tokensOut())
                .setParameter("finishReason", message.finishReason())
                .executeUpdate()
                .chain(n -> n == 0
                        ? Uni.createFrom().failure(new NoSuchConversationException(message.conversationId()))
                        : Uni.createFrom().voidItem()));
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
