package dev.parley.chat;

import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import dev.parley.auth.Caller;
import dev.parley.provider.ModelAccess;
import dev.parley.store.Conversation;
import dev.parley.store.ConversationChange;
import dev.parley.store.ConversationStore;
import dev.parley.store.Cursor;
import dev.parley.store.Message;
import dev.parley.store.MessageStore;
import dev.parley.store.Page;
import dev.parley.store.Timestamps;
import dev.parley.store.UuidV7;
import io.smallrye.mutiny.Uni;

/** Conversation use cases. Every call is scoped to the caller's tenant. */
@ApplicationScoped
public class Conversations {

    private final ConversationStore conversations;
    private final MessageStore messages;
    private final ModelAccess access;

    Conversations(ConversationStore conversations, MessageStore messages, ModelAccess access) {
        this.conversations = conversations;
        this.messages = messages;
        this.access = access;
    }

    /** A model that is null or blank is the tenant's default; the model must be one the tenant may use. */
    public Uni<Conversation> create(Caller caller, String title, String model, String metadata) {
        return access.route(caller.tenantId(), model).chain(route -> {
            var now = Timestamps.now();
            Conversation conversation = new Conversation(UuidV7.next(), caller.tenantId(), blankToNull(title),
                    route.model(), false, now, now, metadata);
            return conversations.create(conversation).replaceWith(conversation);
        });
    }

    public Uni<Optional<Conversation>> find(Caller caller, UUID id) {
        return conversations.find(caller.tenantId(), id);
    }

    public Uni<Page<Conversation>> list(Caller caller, boolean archived, Cursor after, int limit) {
        return conversations.list(caller.tenantId(), archived, after, limit);
    }

    public Uni<Optional<Conversation>> change(Caller caller, UUID id, ConversationChange change) {
        return conversations.update(caller.tenantId(), id, change, Timestamps.now());
    }

    public Uni<Boolean> delete(Caller caller, UUID id) {
        return conversations.delete(caller.tenantId(), id);
    }

    /** The page of messages, or empty when the conversation does not exist for this tenant. */
    public Uni<Optional<Page<Message>>> messages(Caller caller, UUID conversationId, Cursor after, int limit) {
        return conversations.find(caller.tenantId(), conversationId).chain(found -> found.isEmpty()
                ? Uni.createFrom().item(Optional.<Page<Message>> empty())
                : messages.list(caller.tenantId(), conversationId, after, limit).map(Optional::of));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
