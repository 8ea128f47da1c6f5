package dev.parley.api;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

import dev.parley.store.Conversation;
import dev.parley.store.Message;
import dev.parley.store.Page;

/** Request and response bodies of the REST API. */
final class Views {

    private Views() {
    }

    record ConversationView(UUID id, String title, String model, boolean archived, Instant createdAt,
            Instant updatedAt) {
        static ConversationView of(Conversation c) {
            return new ConversationView(c.id(), c.title(), c.model(), c.archived(), c.createdAt(), c.updatedAt());
        }
    }

    record MessageView(UUID id, UUID conversationId, String role, String content, int tokensIn, int tokensOut,
            String finishReason, Instant createdAt) {
        static MessageView of(Message m) {
            return new MessageView(m.id(), m.conversationId(), m.role().id(), m.content(), m.tokensIn(),
                    m.tokensOut(), m.finishReason(), m.createdAt());
        }
    }

    record PageView<T>(List<T> items, String nextCursor) {
        static <S, T> PageView<T> of(Page<S> page, Function<S, T> view) {
            return new PageView<>(page.items().stream().map(view).toList(),
                    page.next() == null ? null : page.next().encode());
        }
    }

    record CreateConversation(@Size(max = 200) String title, @Size(max = 100) String model) {
    }

    record UpdateConversation(@Size(min = 1, max = 200) String title, Boolean archived) {
    }

    record CreateTenant(@NotBlank @Size(max = 100) String name) {
    }

    record CreateKey(@NotBlank @Size(max = 100) String name) {
    }

    record TenantView(UUID id, String name, Instant createdAt) {
    }

    record NewKeyView(UUID id, UUID tenantId, String name, String prefix, boolean admin, String key) {
    }

    record NewTenantView(TenantView tenant, NewKeyView apiKey) {
    }
}
