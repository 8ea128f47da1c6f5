package dev.parley.api;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

import jakarta.validation.constraints.NotBlank;

import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.databind.JsonNode;
import jakarta.validation.constraints.Size;

import dev.parley.store.ApiKey;
import dev.parley.store.Conversation;
import dev.parley.store.Message;
import dev.parley.store.Page;
import dev.parley.store.Tenant;

/** Request and response bodies of the REST API. */
final class Views {

    private Views() {
    }

    record ConversationView(UUID id, String title, String model, boolean archived, Instant createdAt,
            Instant updatedAt, @JsonRawValue String metadata) {
        static ConversationView of(Conversation c) {
            return new ConversationView(c.id(), c.title(), c.model(), c.archived(), c.createdAt(), c.updatedAt(),
                    c.metadata());
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

    record CreateConversation(@Size(max = 200) String title, @Size(max = 100) String model, JsonNode metadata) {
    }

    record UpdateConversation(@Size(min = 1, max = 200) String title, Boolean archived, JsonNode metadata) {
    }

    /** Largest accepted conversation metadata, as compact JSON text. */
    static final int MAX_METADATA_CHARS = 16 * 1024;

    /**
     * The metadata as Parley stores it (compact JSON text), or null when none was sent. It must be a JSON object; a
     * JSON {@code null} counts as none.
     */
    static String metadata(JsonNode metadata) {
        if (metadata == null || metadata.isNull() || metadata.isMissingNode()) {
            return null;
        }
        if (!metadata.isObject()) {
            throw ApiProblem.badRequest("metadata must be a JSON object");
        }
        String text = metadata.toString();
        if (text.length() > MAX_METADATA_CHARS) {
            throw ApiProblem.badRequest("metadata must be at most " + MAX_METADATA_CHARS + " characters of JSON (got "
                    + text.length() + ")");
        }
        return text;
    }

    record CreateTenant(@NotBlank @Size(max = 100) String name) {
    }

    record CreateKey(@NotBlank @Size(max = 100) String name, List<@NotBlank @Size(max = 20) String> scopes,
            Instant expiresAt) {
    }

    record TenantView(UUID id, String name, Instant createdAt) {
        static TenantView of(Tenant t) {
            return new TenantView(t.id(), t.name(), t.createdAt());
        }
    }

    /** A key as listed: never the key or its hash. */
    record KeyView(UUID id, String name, String prefix, List<String> scopes, Instant createdAt, Instant lastUsedAt,
            Instant expiresAt, Instant revokedAt, LimitsView limits) {
        static KeyView of(ApiKey k) {
            return new KeyView(k.id(), k.name(), k.prefix(), k.scopes().stream().sorted().toList(), k.createdAt(),
                    k.lastUsedAt(), k.expiresAt(), k.revokedAt(), LimitsView.of(k.limits()));
        }
    }

    /** Limits as the API shows them: each a number, or null for unlimited. */
    record LimitsView(Long requestsPerMinute, Long tokensPerMinute, Long concurrentTurns, Long monthlyTokenBudget) {
        static LimitsView of(dev.parley.store.Limits l) {
            return new LimitsView(l.requestsPerMinute(), l.tokensPerMinute(), l.concurrentTurns(),
                    l.monthlyTokenBudget());
        }
    }

    /** A key just created: the only time its value is shown. */
    record NewKeyView(UUID id, UUID tenantId, String name, String prefix, List<String> scopes, Instant expiresAt,
            String key) {
        static NewKeyView of(ApiKey k, String plaintext) {
            return new NewKeyView(k.id(), k.tenantId(), k.name(), k.prefix(), k.scopes().stream().sorted().toList(),
                    k.expiresAt(), plaintext);
        }
    }

    record NewTenantView(TenantView tenant, NewKeyView apiKey) {
    }

    /** A new tenant upstream. Its API key is stored encrypted and never shown again, except its last four characters. */
    record CreateUpstream(@NotBlank @Size(max = 100) String name, @NotBlank @Size(max = 2000) String baseUrl,
            @NotBlank @Size(max = 4096) String apiKey,
            @jakarta.validation.constraints.NotEmpty @Size(max = 100) List<@NotBlank @Size(max = 100) String> models) {
    }

    /** A change to a tenant upstream: the fields given replace the stored ones. */
    record ChangeUpstream(@Size(min = 1, max = 100) String name, @Size(min = 1, max = 2000) String baseUrl,
            @Size(min = 1, max = 4096) String apiKey,
            @Size(min = 1, max = 100) List<@NotBlank @Size(max = 100) String> models) {
    }

    /** A tenant upstream as shown: never its API key, only the key's last four characters (none of a short key). */
    record UpstreamView(UUID id, String name, String baseUrl, List<String> models, String apiKeyLast4,
            Instant createdAt, Instant updatedAt) {
        static UpstreamView of(dev.parley.store.TenantUpstream u) {
            return new UpstreamView(u.id(), u.name(), u.baseUrl(), u.models(), u.keyHint(), u.createdAt(),
                    u.updatedAt());
        }
    }

    /** A tenant's allowlist of operator models: null = every operator model. */
    record ModelAllowlistView(List<String> models) {
    }
}
