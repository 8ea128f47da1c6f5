package dev.parley.store;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.smallrye.mutiny.Uni;

/**
 * Full-text search over a tenant's messages. The index is kept in step with the messages by the database itself, in
 * the transaction that writes them (SQLite: FTS5 triggers; PostgreSQL: a generated tsvector column), so this port
 * only reads.
 */
public interface SearchStore {

    /**
     * Hits of {@code query} among the tenant's messages, best first: by rank (higher is more relevant; the scale is
     * the backend's own), then newer first, then by message id; at most {@code limit}, after {@code after} if given.
     * Every hit belongs to {@code tenantId}, whatever the cursor says.
     */
    Uni<Page> search(UUID tenantId, SearchQuery query, Filter filter, SearchCursor after, int limit);

    /** Optional narrowing; null fields do not narrow. {@code to} is exclusive. */
    record Filter(Message.Role role, UUID conversationId, Instant from, Instant to, Boolean archived) {

        public static final Filter NONE = new Filter(null, null, null, null, null);
    }

    /** A matching message with its conversation's title; {@code content} is the whole text, for the snippet. */
    record Hit(UUID conversationId, String conversationTitle, UUID messageId, Message.Role role, Instant createdAt,
            String content, double rank) {

        public SearchCursor cursor() {
            return new SearchCursor(rank, createdAt, messageId);
        }
    }

    /** One page of hits; {@code next} is null on the last page. */
    record Page(List<Hit> hits, SearchCursor next) {

        /** From a query that fetched {@code limit + 1} rows: the extra row only proves there is more. */
        public static Page of(List<Hit> rows, int limit) {
            if (rows.size() <= limit) {
                return new Page(List.copyOf(rows), null);
            }
            List<Hit> hits = List.copyOf(rows.subList(0, limit));
            return new Page(hits, hits.get(limit - 1).cursor());
        }
    }
}
