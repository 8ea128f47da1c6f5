package dev.parley.store.sqlite;

import static dev.parley.store.sqlite.SqliteCodec.getId;
import static dev.parley.store.sqlite.SqliteCodec.getInstant;
import static dev.parley.store.sqlite.SqliteCodec.setId;
import static dev.parley.store.sqlite.SqliteCodec.setInstant;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
import dev.parley.store.Message;
import dev.parley.store.Page;
import io.smallrye.mutiny.Uni;

@ApplicationScoped
@Typed(SqliteConversationStore.class)
public class SqliteConversationStore implements ConversationStore {

    private static final String COLUMNS = "id, tenant_id, title, model, archived, created_at, updated_at, metadata";

    private final SqliteWriter writer;
    private final SqliteReaders readers;

    SqliteConversationStore(SqliteWriter writer, SqliteReaders readers) {
        this.writer = writer;
        this.readers = readers;
    }

    @Override
    public Uni<Void> create(Conversation conv) {
        return writer.submit("create-conversation", c -> {
            insert(c, conv);
            return null;
        });
    }

    /** Inserts a conversation inside the caller's transaction. */
    static void insert(Connection c, Conversation conv) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO conversations (" + COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            setId(ps, 1, conv.id());
            setId(ps, 2, conv.tenantId());
            ps.setString(3, conv.title());
            ps.setString(4, conv.model());
            ps.setInt(5, conv.archived() ? 1 : 0);
            setInstant(ps, 6, conv.createdAt());
            setInstant(ps, 7, conv.updatedAt());
            ps.setString(8, conv.metadata());
            ps.executeUpdate();
        }
    }

    @Override
    public Uni<Optional<Conversation>> find(UUID tenantId, UUID id) {
        return readers.read(c -> select(c, tenantId, id));
    }

    private static Optional<Conversation> select(Connection c, UUID tenantId, UUID id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT " + COLUMNS + " FROM conversations WHERE tenant_id = ? AND id = ?")) {
            setId(ps, 1, tenantId);
            setId(ps, 2, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    @Override
    public Uni<Page<Conversation>> list(UUID tenantId, boolean archived, Cursor after, int limit) {
        return readers.read(c -> {
            String sql = "SELECT " + COLUMNS + " FROM conversations WHERE tenant_id = ? AND archived = ?"
                    + (after == null ? "" : " AND (updated_at < ? OR (updated_at = ? AND id < ?))")
                    + " ORDER BY updated_at DESC, id DESC LIMIT ?";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                setId(ps, i++, tenantId);
                ps.setInt(i++, archived ? 1 : 0);
                if (after != null) {
                    setInstant(ps, i++, after.at());
                    setInstant(ps, i++, after.at());
                    setId(ps, i++, after.id());
                }
                ps.setInt(i, limit + 1);
                List<Conversation> rows = new ArrayList<>(limit + 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(map(rs));
                    }
                }
                return Page.of(rows, limit, conv -> Cursor.of(conv.updatedAt(), conv.id()));
            }
        });
    }

    @Override
    public Uni<Optional<Conversation>> update(UUID tenantId, UUID id, ConversationChange change, Instant now) {
        return writer.submit("update-conversation", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE conversations SET "
                    + "title = CASE WHEN ? THEN ? ELSE title END, archived = CASE WHEN ? THEN ? ELSE archived END, "
                    + "metadata = CASE WHEN ? THEN ? ELSE metadata END, updated_at = ? WHERE tenant_id = ? AND id = ?")) {
                ps.setBoolean(1, change.title().isPresent());
                ps.setString(2, change.title().orElse(null));
                ps.setBoolean(3, change.archived().isPresent());
                ps.setInt(4, change.archived().orElse(false) ? 1 : 0);
                ps.setBoolean(5, change.metadata().isPresent());
                ps.setString(6, change.metadata().orElse(null));
                setInstant(ps, 7, now);
                setId(ps, 8, tenantId);
                setId(ps, 9, id);
                if (ps.executeUpdate() == 0) {
                    return Optional.empty();
                }
            }
            return select(c, tenantId, id);
        });
    }

    @Override
    public Uni<Boolean> delete(UUID tenantId, UUID id) {
        return writer.submit("delete-conversation", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM conversations WHERE tenant_id = ? AND id = ?")) {
                setId(ps, 1, tenantId);
                setId(ps, 2, id);
                return ps.executeUpdate() > 0;
            }
        });
    }

    private static Conversation map(ResultSet rs) throws SQLException {
        return new Conversation(getId(rs, "id"), getId(rs, "tenant_id"), rs.getString("title"), rs.getString("model"),
                rs.getInt("archived") == 1, getInstant(rs, "created_at"), getInstant(rs, "updated_at"),
                rs.getString("metadata"));
    }
}
