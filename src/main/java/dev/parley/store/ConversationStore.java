package dev.parley.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.smallrye.mutiny.Uni;

/** Conversations. Every call is scoped to one tenant: another tenant's conversation does not exist. */
public interface ConversationStore {

    /**
     * Creates the conversation with its first messages (none, or a whole prompt sent to the OpenAI-compatible API)
     * in one transaction: either all of it is stored or nothing.
     */
    Uni<Void> create(Conversation conversation, List<Message> messages);

    Uni<Optional<Conversation>> find(UUID tenantId, UUID id);

    /** Most recently active first ({@code updated_at} descending, then id descending). */
    Uni<Page<Conversation>> list(UUID tenantId, boolean archived, Cursor after, int limit);

    /** Applies the change and returns the updated conversation, or empty when it does not exist for the tenant. */
    Uni<Optional<Conversation>> update(UUID tenantId, UUID id, ConversationChange change, Instant now);

    /** Deletes the conversation and its messages; false when it does not exist for the tenant. */
    Uni<Boolean> delete(UUID tenantId, UUID id);
}
