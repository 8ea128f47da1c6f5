package dev.parley.store;

import java.time.Instant;
import java.util.UUID;

/** An API key as stored: only its hash and a short display prefix, never the key itself. */
public record ApiKey(UUID id, UUID tenantId, String name, String prefix, String hash, boolean admin,
        Instant createdAt) {
}
