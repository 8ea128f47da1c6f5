package dev.parley.store;

import java.time.Instant;
import java.util.UUID;

public record Message(UUID id, UUID tenantId, UUID conversationId, Role role, String content, int tokensIn,
        int tokensOut, String finishReason, Instant createdAt) {

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
