package dev.parley.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.smallrye.mutiny.Uni;

/** Conversations. Every call is scoped to one tenant: another tenant's conversation does not exist. */
public interface ConversationStore {

    /** Creates an empty conversation (a turn that creates one with its messages goes through {@link TurnStore}). */
    Uni<Void> create(Conversation conversation);

    Uni<Optional<Conversation>> find(UUID tenantId, UUID id);

    /** Most recently active first ({@code updated_at} descending, then id descending). */
    Uni<Page<Conversation>> list(UUID tenantId, boolean archived, Cursor after, int limit);

    /** Applies the change and returns the updated conversation, or empty when it does not exist for the tenant. */
    Uni<Optional<Conversation>> update(UUID tenantId, UUID id, ConversationChange change, Instant now);

    /** Deletes the conversation and its messages; false when it does not exist for the tenant. */
    Uni<Boolean> delete(UUID tenantId, UUID id);
}
