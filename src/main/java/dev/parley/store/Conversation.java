package dev.parley.store;

import java.time.Instant;
import java.util.UUID;

public record Conversation(UUID id, UUID tenantId, String title, String model, boolean archived, Instant createdAt,
        Instant updatedAt) {
}
