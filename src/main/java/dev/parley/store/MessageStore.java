package dev.parley.store;

import java.util.List;
import java.util.UUID;

import io.smallrye.mutiny.Uni;

/** Messages of conversations. */
public interface MessageStore {

    /**
     * Stores a message and marks its conversation as active at the message's time, in one transaction.
     *
     * @return a failure with {@link NoSuchConversationException} when the conversation does not exist for the tenant
     */
    Uni<Void> append(Message message);

    /** The newest {@code limit} messages, returned oldest first: the history a new turn sends to the model. */
    Uni<List<Message>> recent(UUID tenantId, UUID conversationId, int limit);

    /** Oldest first ({@code created_at}, then id). */
    Uni<Page<Message>> list(UUID tenantId, UUID conversationId, Cursor after, int limit);
}
