package dev.parley.store;

import java.time.Instant;
import java.util.UUID;

/**
 * A message of a conversation. A reply ({@link Role#ASSISTANT}) also records the key whose turn it was and the model
 * that answered, so that usage can always be recomputed from the messages; both are null for other messages and for
 * replies stored before usage was counted.
 */
public record Message(UUID id, UUID tenantId, UUID conversationId, Role role, String content, int tokensIn,
        int tokensOut, String finishReason, Instant createdAt, UUID keyId, String model) {

    public Message(UUID id, UUID tenantId, UUID conversationId, Role role, String content, int tokensIn,
            int tokensOut, String finishReason, Instant createdAt) {
        this(id, tenantId, conversationId, role, content, tokensIn, tokensOut, finishReason, createdAt, null, null);
    }

    public enum Role {
        SYSTEM, USER, ASSISTANT;

        public String id() {
            return name().toLowerCase();
        }

        public static Role of(String id) {
            return valueOf(id.toUpperCase());
        }
    }
}
