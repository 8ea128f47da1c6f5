package dev.parley.store.postgres;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.Conversation;
import dev.parley.store.ConversationChange;
import dev.parley.store.ConversationStore;
import dev.parley.store.Cursor;
import dev.parley.store.Page;
import io.quarkus.arc.InjectableInstance;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Conversations: the reads on the hot path (a turn's lookup, the list) are plain SQL on the Vert.x reactive pool; the
 * rarer writes use Hibernate Reactive sessions.
 */
@ApplicationScoped
@Typed(PgConversationStore.class)
public class PgConversationStore implements ConversationStore {

    private final PgSessions sessions;
    private final InjectableInstance<Pool> pool;

    PgConversationStore(PgSessions sessions, InjectableInstance<Pool> pool) {
        this.sessions = sessions;
        this.pool = pool;
    }

    @Override
    public Uni<Void> create(Conversation conversation) {
        return sessions.inTransaction(s -> s.persist(ConversationEntity.of(conversation)));
    }

    @Override
    public Uni<Optional<Conversation>> find(UUID tenantId, UUID id) {
        return pool.get().preparedQuery("SELECT " + COLUMNS + " FROM conversations WHERE tenant_id = $1 AND id = $2")
                .execute(Tuple.of(tenantId, id))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(conversation(rows.iterator().next())));
    }

    @Override
    public Uni<Page<Conversation>> list(UUID tenantId, boolean archived, Cursor after, int limit) {
        String sql = "SELECT " + COLUMNS + " FROM conversations WHERE tenant_id = $1 AND archived = $2"
                + (after == null ? "" : " AND (updated_at, id) < ($4, $5)") + " ORDER BY updated_at DESC, id DESC "
                + "LIMIT $3";
        Tuple params = Tuple.of(tenantId, archived, limit + 1);
        if (after != null) {
            params.addValue(PgTurnStore.at(after.at())).addValue(after.id());
        }
        return pool.get().preparedQuery(sql).execute(params).map(rows -> {
            List<Conversation> page = new ArrayList<>(rows.size());
            rows.forEach(row -> page.add(conversation(row)));
            return Page.of(page, limit, c -> Cursor.of(c.updatedAt(), c.id()));
        });
    }

    private static final String COLUMNS = "id, tenant_id, title, model, archived, created_at, updated_at, "
            + "metadata::text AS metadata";

    private static Conversation conversation(Row row) {
        return new Conversation(row.getUUID("id"), row.getUUID("tenant_id"), row.getString("title"),
                row.getString("model"), row.getBoolean("archived"), row.getOffsetDateTime("created_at").toInstant(),
                row.getOffsetDateTime("updated_at").toInstant(), row.getString("metadata"));
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
