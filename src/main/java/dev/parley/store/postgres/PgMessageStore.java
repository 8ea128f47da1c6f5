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
import io.quarkus.arc.InjectableInstance;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Message reads on the hot path (a turn's history, a conversation's pages): plain SQL on the Vert.x reactive pool,
 * without a Hibernate session.
 */
@ApplicationScoped
@Typed(PgMessageStore.class)
public class PgMessageStore implements MessageStore {

    private final InjectableInstance<Pool> pool;

    PgMessageStore(InjectableInstance<Pool> pool) {
        this.pool = pool;
    }

    @Override
    public Uni<List<Message>> recent(UUID tenantId, UUID conversationId, int limit) {
        return pool.get().preparedQuery("SELECT " + COLUMNS + " FROM messages WHERE tenant_id = $1 AND "
                + "conversation_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3")
                .execute(Tuple.of(tenantId, conversationId, limit)).map(rows -> {
                    List<Message> messages = new ArrayList<>(rows.size());
                    rows.forEach(row -> messages.add(message(row)));
                    Collections.reverse(messages);
                    return messages;
                });
    }

    @Override
    public Uni<Page<Message>> list(UUID tenantId, UUID conversationId, Cursor after, int limit) {
        String sql = "SELECT " + COLUMNS + " FROM messages WHERE tenant_id = $1 AND conversation_id = $2"
                + (after == null ? " ORDER BY created_at, id LIMIT $3"
                        : " AND (created_at, id) > ($4, $5) ORDER BY created_at, id LIMIT $3");
        Tuple params = Tuple.of(tenantId, conversationId, limit + 1);
        if (after != null) {
            params.addValue(PgTurnStore.at(after.at())).addValue(after.id());
        }
        return pool.get().preparedQuery(sql).execute(params).map(rows -> {
            List<Message> messages = new ArrayList<>(rows.size());
            rows.forEach(row -> messages.add(message(row)));
            return Page.of(messages, limit, m -> Cursor.of(m.createdAt(), m.id()));
        });
    }

    static final String COLUMNS = "id, tenant_id, conversation_id, role, content, tokens_in, tokens_out, finish_reason, "
            + "created_at, key_id, model";

    static Message message(Row row) {
        return new Message(row.getUUID("id"), row.getUUID("tenant_id"), row.getUUID("conversation_id"),
                Message.Role.of(row.getString("role")), row.getString("content"), row.getInteger("tokens_in"),
                row.getInteger("tokens_out"), row.getString("finish_reason"),
                row.getOffsetDateTime("created_at").toInstant(), row.getUUID("key_id"), row.getString("model"));
    }
}
