package dev.parley.store;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.smallrye.mutiny.Uni;

/**
 * Full-text search over a tenant's messages. The index is kept in step with the messages by the database itself, in
 * the transaction that writes them (SQLite: FTS5 triggers; PostgreSQL: a generated tsvector column), so this port
 * only reads.
 *
 * <p>Results come in two parts, so that the work per page is bounded however many messages match: the <b>ranked
 * window</b>, the newest {@link #RANKED_WINDOW} matches (after the filters) ordered best first by the backend's rank
 * (higher is more relevant), then newer first, then by message id; and after it, <b>the older matches</b>, newest
 * first, with rank 0. "Newer" is the backend's own order: the order in which messages were stored on SQLite (its
 * rowids), their creation time on PostgreSQL; the two agree for messages Parley writes itself.
 */
public interface SearchStore {

    /** How many of the newest matches a search ranks; older matches follow them in time order. */
    int RANKED_WINDOW = 200;

    /**
     * Hits of {@code query} among the tenant's messages, in the order above; at most {@code limit}, after
     * {@code after} if given. Every hit belongs to {@code tenantId}, whatever the cursor says.
     */
    Uni<Page> search(UUID tenantId, SearchQuery query, Filter filter, SearchCursor after, int limit);

    /** Optional narrowing; null fields do not narrow. {@code to} is exclusive. */
    record Filter(Message.Role role, UUID conversationId, Instant from, Instant to, Boolean archived) {

        public static final Filter NONE = new Filter(null, null, null, null, null);
    }

    /**
     * A matching message with its conversation's title; {@code content} is the whole text, for the snippet.
     * {@code ranked}: whether it came from the ranked window ({@code rank} is 0 otherwise); {@code position}: its
     * place in the backend's newest-first order (see {@link SearchCursor}).
     */
    record Hit(UUID conversationId, String conversationTitle, UUID messageId, Message.Role role, Instant createdAt,
            String content, double rank, boolean ranked, long position) {
    }

    /** One page of hits; {@code next} is null on the last page. */
    record Page(List<Hit> hits, SearchCursor next) {

        /**
         * From queries that fetched {@code limit + 1} rows (ranked ones first, then older ones): the extra row only
         * proves there is more. {@code floor} is the ranked window's oldest match, null when it held every match.
         */
        public static Page of(List<Hit> rows, int limit, SearchCursor.Floor floor) {
            if (rows.size() <= limit) {
                return new Page(List.copyOf(rows), null);
            }
            List<Hit> hits = List.copyOf(rows.subList(0, limit));
            Hit last = hits.get(limit - 1);
            return new Page(hits, new SearchCursor(last.ranked(), last.rank(), last.position(), last.messageId(),
                    last.ranked() ? floor : null));
        }
    }
}
