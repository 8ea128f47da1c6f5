package dev.parley.store.sqlite;

import static dev.parley.store.sqlite.SqliteCodec.getId;
import static dev.parley.store.sqlite.SqliteCodec.getInstant;
import static dev.parley.store.sqlite.SqliteCodec.setId;
import static dev.parley.store.sqlite.SqliteCodec.setInstant;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.Message;
import dev.parley.store.SearchCursor;
import dev.parley.store.SearchQuery;
import dev.parley.store.SearchStore;
import io.smallrye.mutiny.Uni;

/**
 * Search on SQLite: FTS5 ({@code messages_fts}, V9) finds the tenant's matching rowids and ranks them with bm25 (the
 * tenant column weighs nothing); the join to {@code messages} and {@code conversations} checks the tenant exactly and
 * applies the filters, in the same query.
 */
@ApplicationScoped
@Typed(SqliteSearchStore.class)
public class SqliteSearchStore implements SearchStore {

    private final SqliteReaders readers;

    SqliteSearchStore(SqliteReaders readers) {
        this.readers = readers;
    }

    /**
     * The query as an FTS5 expression made only of double-quoted strings (a quote inside doubled), each of which FTS5
     * tokenizes like the text (a string of several tokens is a phrase), so nothing the user typed is read as FTS5
     * syntax; the user's terms are confined to the {@code content} column, and the tenant narrows the match inside
     * FTS5: {@code (tenant_id : "3c4d5e6f7a8b" AND content : ("a" AND "b c" AND "d"*)) NOT content : ("x" OR "y")}.
     * The tenant token is the last group of the tenant's id (its random part in a UUIDv7): unique in practice, and
     * the join checks the whole id anyway, so a shared token could only cost time, never show another tenant's rows.
     */
    static String matchExpression(UUID tenantId, SearchQuery query) {
        String id = tenantId.toString();
        String included = "(tenant_id : \"" + id.substring(id.lastIndexOf('-') + 1) + "\" AND content : "
                + query.included().stream().map(SqliteSearchStore::quoted).collect(Collectors.joining(" AND ", "(", ")"))
                + ")";
        List<SearchQuery.Term> excluded = query.excludedTerms();
        if (excluded.isEmpty()) {
            return included;
        }
        return included + " NOT content : " + excluded.stream().map(SqliteSearchStore::quoted)
                .collect(Collectors.joining(" OR ", "(", ")"));
    }

    private static String quoted(SearchQuery.Term term) {
        String s = "\"" + term.text().replace("\"", "\"\"") + "\"";
        return term.kind() == SearchQuery.Kind.PREFIX ? s + "*" : s;
    }

    @Override
    public Uni<Page> search(UUID tenantId, SearchQuery query, Filter filter, SearchCursor after, int limit) {
        StringBuilder inner = new StringBuilder("SELECT m.id, m.conversation_id, m.role, m.created_at, m.content, "
                + "c.title, -bm25(messages_fts, 1.0, 0.0) AS rank FROM messages_fts "
                + "JOIN messages m ON m.rowid = messages_fts.rowid "
                + "JOIN conversations c ON c.id = m.conversation_id "
                + "WHERE messages_fts MATCH ? AND m.tenant_id = ? AND c.tenant_id = ?");
        if (filter.role() != null) {
            inner.append(" AND m.role = ?");
        }
        if (filter.conversationId() != null) {
            inner.append(" AND m.conversation_id = ?");
        }
        if (filter.from() != null) {
            inner.append(" AND m.created_at >= ?");
        }
        if (filter.to() != null) {
            inner.append(" AND m.created_at < ?");
        }
        if (filter.archived() != null) {
            inner.append(" AND c.archived = ?");
        }
        String sql = "SELECT * FROM (" + inner + ")"
                + (after == null ? "" : " WHERE rank < ? OR (rank = ? AND (created_at < ? OR (created_at = ? "
                        + "AND id < ?)))")
                + " ORDER BY rank DESC, created_at DESC, id DESC LIMIT ?";
        String match = matchExpression(tenantId, query);
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                ps.setString(i++, match);
                setId(ps, i++, tenantId);
                setId(ps, i++, tenantId);
                if (filter.role() != null) {
                    ps.setString(i++, filter.role().id());
                }
                if (filter.conversationId() != null) {
                    setId(ps, i++, filter.conversationId());
                }
                if (filter.from() != null) {
                    setInstant(ps, i++, filter.from());
                }
                if (filter.to() != null) {
                    setInstant(ps, i++, filter.to());
                }
                if (filter.archived() != null) {
                    ps.setInt(i++, filter.archived() ? 1 : 0);
                }
                if (after != null) {
                    ps.setDouble(i++, after.rank());
                    ps.setDouble(i++, after.rank());
                    setInstant(ps, i++, after.createdAt());
                    setInstant(ps, i++, after.createdAt());
                    setId(ps, i++, after.messageId());
                }
                ps.setInt(i, limit + 1);
                List<Hit> rows = new ArrayList<>(limit + 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(map(rs));
                    }
                }
                return Page.of(rows, limit);
            }
        });
    }

    private static Hit map(ResultSet rs) throws SQLException {
        return new Hit(getId(rs, "conversation_id"), rs.getString("title"), getId(rs, "id"),
                Message.Role.of(rs.getString("role")), getInstant(rs, "created_at"), rs.getString("content"),
                rs.getDouble("rank"));
    }
}
