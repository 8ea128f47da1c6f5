package dev.parley.store.postgres;

import static dev.parley.store.postgres.PgTurnStore.at;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.Message;
import dev.parley.store.SearchCursor;
import dev.parley.store.SearchQuery;
import dev.parley.store.SearchStore;
import io.quarkus.arc.InjectableInstance;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Search on PostgreSQL: the generated {@code messages.search} tsvector and its GIN index (V9), ranked with
 * {@code ts_rank_cd}. The tenant and the filters are conditions of the same query.
 */
@ApplicationScoped
@Typed(PgSearchStore.class)
public class PgSearchStore implements SearchStore {

    private final InjectableInstance<Pool> pool;

    PgSearchStore(InjectableInstance<Pool> pool) {
        this.pool = pool;
    }

    /** A tsquery expression and the parameters it binds, numbered from the first one it was given. */
    record Rendered(String sql, List<Object> params) {
    }

    /**
     * The query as SQL that builds a tsquery from bound parameters: each word through {@code plainto_tsquery} and
     * each phrase through {@code phraseto_tsquery}, which read their input as plain text (operators in it are just
     * characters), after the same accent folding as the indexed text. A prefix's last token becomes one quoted lexeme
     * marked {@code :*}, quoted in SQL after the folding (which may turn a letter such as {@code ʼ} into an
     * apostrophe), with the words before it as a phrase. Terms are combined with the tsquery functions rather than
     * operators.
     */
    static Rendered tsquery(SearchQuery query, int firstParam) {
        List<Object> params = new ArrayList<>();
        String expr = null;
        for (SearchQuery.Term t : query.included()) {
            String one = term(t, firstParam, params);
            expr = expr == null ? one : "tsquery_and(" + expr + ", " + one + ")";
        }
        for (SearchQuery.Term t : query.excludedTerms()) {
            expr = "tsquery_and(" + expr + ", tsquery_not(" + term(t, firstParam, params) + "))";
        }
        return new Rendered(expr, params);
    }

    /** A tsquery lexeme in quotes, in SQL: a quote inside doubled, a backslash escaped. */
    private static final String QUOTED_PREFIX = "to_tsquery('simple', '''' || replace(replace(%s, '\\', '\\\\'), "
            + "'''', '''''') || ''':*')";

    private static String term(SearchQuery.Term t, int firstParam, List<Object> params) {
        return switch (t.kind()) {
            case WORD -> "plainto_tsquery('simple', " + folded(t.text(), firstParam, params) + ")";
            case PHRASE -> "phraseto_tsquery('simple', " + folded(t.text(), firstParam, params) + ")";
            case PREFIX -> {
                int space = t.text().lastIndexOf(' ');
                String leading = space < 0 ? null : "phraseto_tsquery('simple', "
                        + folded(t.text().substring(0, space), firstParam, params) + ")";
                String last = String.format(QUOTED_PREFIX, folded(t.text().substring(space + 1), firstParam,
                        params));
                yield leading == null ? last : "tsquery_phrase(" + leading + ", " + last + ")";
            }
        };
    }

    private static String folded(String text, int firstParam, List<Object> params) {
        params.add(text);
        return "parley_search_fold($" + (firstParam + params.size() - 1) + "::text)";
    }

    @Override
    public Uni<Page> search(UUID tenantId, SearchQuery query, Filter filter, SearchCursor after, int limit) {
        List<Object> params = new ArrayList<>();
        params.add(tenantId);
        Rendered q = tsquery(query, 2);
        params.addAll(q.params());
        StringBuilder inner = new StringBuilder("SELECT m.id, m.conversation_id, m.role, m.created_at, m.content, "
                + "c.title, ts_rank_cd(m.search, " + q.sql() + ")::float8 AS rank FROM messages m "
                + "JOIN conversations c ON c.id = m.conversation_id "
                + "WHERE m.tenant_id = $1 AND c.tenant_id = $1 AND m.search @@ " + q.sql());
        if (filter.role() != null) {
            params.add(filter.role().id());
            inner.append(" AND m.role = $").append(params.size());
        }
        if (filter.conversationId() != null) {
            params.add(filter.conversationId());
            inner.append(" AND m.conversation_id = $").append(params.size());
        }
        if (filter.from() != null) {
            params.add(at(filter.from()));
            inner.append(" AND m.created_at >= $").append(params.size());
        }
        if (filter.to() != null) {
            params.add(at(filter.to()));
            inner.append(" AND m.created_at < $").append(params.size());
        }
        if (filter.archived() != null) {
            params.add(filter.archived());
            inner.append(" AND c.archived = $").append(params.size());
        }
        String keyset = "";
        if (after != null) {
            int r = params.size() + 1;
            params.add(after.rank());
            params.add(at(after.createdAt()));
            params.add(after.messageId());
            keyset = " WHERE rank < $" + r + "::float8 OR (rank = $" + r + "::float8 AND (created_at < $" + (r + 1)
                    + " OR (created_at = $" + (r + 1) + " AND id < $" + (r + 2) + ")))";
        }
        params.add(limit + 1);
        String sql = "SELECT * FROM (" + inner + ") hits" + keyset
                + " ORDER BY rank DESC, created_at DESC, id DESC LIMIT $" + params.size();
        return pool.get().preparedQuery(sql).execute(Tuple.from(params)).map(rows -> {
            List<Hit> hits = new ArrayList<>(limit + 1);
            for (Row row : rows) {
                hits.add(new Hit(row.getUUID("conversation_id"), row.getString("title"), row.getUUID("id"),
                        Message.Role.of(row.getString("role")), row.getOffsetDateTime("created_at").toInstant(),
                        row.getString("content"), row.getDouble("rank")));
            }
            return Page.of(hits, limit);
        });
    }
}
