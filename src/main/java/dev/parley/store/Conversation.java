package dev.parley.store;

import java.time.Instant;
import java.util.UUID;

/**
 * A conversation. {@code metadata} is a client-supplied JSON object in compact text form, or null.
 */
public record Conversation(UUID id, UUID tenantId, String title, String model, boolean archived, Instant createdAt,
        Instant updatedAt, String metadata) {
}
