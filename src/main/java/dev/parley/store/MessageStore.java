package dev.parley.store;

import java.util.List;
import java.util.UUID;

import io.smallrye.mutiny.Uni;

/** Messages of conversations, as read. They are written by the turns that make them ({@link TurnStore}). */
public interface MessageStore {

    /** The newest {@code limit} messages, returned oldest first: the history a new turn sends to the model. */
    Uni<List<Message>> recent(UUID tenantId, UUID conversationId, int limit);

    /** Oldest first ({@code created_at}, then id). */
    Uni<Page<Message>> list(UUID tenantId, UUID conversationId, Cursor after, int limit);
}
