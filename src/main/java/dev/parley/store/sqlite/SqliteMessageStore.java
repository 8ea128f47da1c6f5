package dev.parley.store.sqlite;

import static dev.parley.store.sqlite.SqliteCodec.getId;
import static dev.parley.store.sqlite.SqliteCodec.getInstant;
import static dev.parley.store.sqlite.SqliteCodec.setId;
import static dev.parley.store.sqlite.SqliteCodec.setInstant;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
@Typed(SqliteMessageStore.class)
public class SqliteMessageStore implements MessageStore {

    private static final String COLUMNS = "id, tenant_id, conversation_id, role, content, tokens_in, tokens_out, "
            + "finish_reason, created_at, key_id, model";

    private final SqliteReaders readers;

    SqliteMessageStore(SqliteReaders readers) {
        this.readers = readers;
    }

    /**
     * Stores messages into an existing conversation of the tenant and marks it active at the newest message's time,
     * inside the caller's transaction.
     *
     * @throws NoSuchConversationException when the tenant has no such conversation
     */
    static void append(Connection c, UUID tenantId, UUID conversationId, List<Message> messages) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE conversations SET updated_at = max(updated_at, ?) "
                + "WHERE tenant_id = ? AND id = ?")) {
            setInstant(ps, 1, messages.get(messages.size() - 1).createdAt());
            setId(ps, 2, tenantId);
            setId(ps, 3, conversationId);
            if (ps.executeUpdate() == 0) {
                throw new NoSuchConversationException(conversationId);
            }
        }
        insert(c, messages);
    }

    /** Inserts messages of a conversation that the caller made sure exists, inside the caller's transaction. */
    static void insert(Connection c, List<Message> messages) throws SQLException {
        if (messages.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO messages (" + COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (Message m : messages) {
                setId(ps, 1, m.id());
                setId(ps, 2, m.tenantId());
                setId(ps, 3, m.conversationId());
                ps.setString(4, m.role().id());
                ps.setString(5, m.content());
                ps.setInt(6, m.tokensIn());
                ps.setInt(7, m.tokensOut());
                ps.setString(8, m.finishReason());
                setInstant(ps, 9, m.createdAt());
                setId(ps, 10, m.keyId());
                ps.setString(11, m.model());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    @Override
    public Uni<Page<Message>> list(UUID tenantId, UUID conversationId, Cursor after, int limit) {
        return readers.read(c -> {
            String sql = "SELECT " + COLUMNS + " FROM messages WHERE tenant_id = ? AND conversation_id = ?"
                    + (after == null ? "" : " AND (created_at > ? OR (created_at = ? AND id > ?))")
                    + " ORDER BY created_at, id LIMIT ?";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                setId(ps, i++, tenantId);
                setId(ps, i++, conversationId);
                if (after != null) {
                    setInstant(ps, i++, after.at());
                    setInstant(ps, i++, after.at());
                    setId(ps, i++, after.id());
                }
                ps.setInt(i, limit + 1);
                List<Message> rows = new ArrayList<>(limit + 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(map(rs));
                    }
                }
                return Page.of(rows, limit, msg -> Cursor.of(msg.createdAt(), msg.id()));
            }
        });
    }

    @Override
    public Uni<List<Message>> recent(UUID tenantId, UUID conversationId, int limit) {
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM messages WHERE tenant_id = ? "
                    + "AND conversation_id = ? ORDER BY created_at DESC, id DESC LIMIT ?")) {
                setId(ps, 1, tenantId);
                setId(ps, 2, conversationId);
                ps.setInt(3, limit);
                List<Message> rows = new ArrayList<>(limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(map(rs));
                    }
                }
                Collections.reverse(rows);
                return rows;
            }
        });
    }

    private static Message map(ResultSet rs) throws SQLException {
        return new Message(getId(rs, "id"), getId(rs, "tenant_id"), getId(rs, "conversation_id"),
                Message.Role.of(rs.getString("role")), rs.getString("content"), rs.getInt("tokens_in"),
                rs.getInt("tokens_out"), rs.getString("finish_reason"), getInstant(rs, "created_at"),
                getId(rs, "key_id"), rs.getString("model"));
    }
}
