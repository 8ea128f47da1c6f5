package dev.parley.store;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One of a tenant's own OpenAI-compatible upstreams. {@code sealedKey} is its API key as stored, encrypted (never
 * plaintext), {@code keyId} the id of the encryption key that sealed it, {@code keyHint} the last four characters
 * of the plaintext key at most.
 */
public record TenantUpstream(UUID id, UUID tenantId, String name, String baseUrl, List<String> models,
        String sealedKey, String keyId, String keyHint, Instant createdAt, Instant updatedAt) {

    public TenantUpstream {
        models = List.copyOf(models);
    }

    /** The models as one column value: comma-separated (names never contain a comma). */
    public String modelList() {
        return String.join(",", models);
    }

    public static List<String> parseModels(String column) {
        return column == null || column.isEmpty() ? List.of() : List.of(column.split(","));
    }
}
