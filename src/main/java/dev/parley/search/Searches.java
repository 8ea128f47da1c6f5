package dev.parley.search;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import dev.parley.auth.Caller;
import dev.parley.store.Message;
import dev.parley.store.SearchCursor;
import dev.parley.store.SearchQuery;
import dev.parley.store.SearchStore;
import io.smallrye.mutiny.Uni;

/** Searching the caller's history. The tenant is always the caller's; nothing in the request can widen it. */
@ApplicationScoped
public class Searches {

    private final SearchStore store;

    Searches(SearchStore store) {
        this.store = store;
    }

    public record Item(UUID conversationId, String conversationTitle, UUID messageId, Message.Role role,
            Instant createdAt, String snippet, double rank) {
    }

    public record Result(List<Item> items, SearchCursor next) {
    }

    public Uni<Result> search(Caller caller, SearchQuery query, SearchStore.Filter filter, SearchCursor after,
            int limit) {
        return store.search(caller.tenantId(), query, filter, after, limit).map(page -> new Result(page.hits()
                .stream().map(h -> new Item(h.conversationId(), h.conversationTitle(), h.messageId(), h.role(),
                        h.createdAt(), Snippets.of(h.content(), query), h.rank()))
                .toList(), page.next()));
    }
}
