package dev.parley.store;

import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/**
 * An API key as stored: its hash and a short display prefix (empty for a key an operator chose), never the key
 * itself. {@code scopes} are the scope names it was given; {@code expiresAt}, {@code lastUsedAt} and
 * {@code revokedAt} may be null; {@code limits} are the key's own (never above its tenant's).
 */
public record ApiKey(UUID id, UUID tenantId, String name, String prefix, String hash, Set<String> scopes,
        Instant createdAt, Instant expiresAt, Instant lastUsedAt, Instant revokedAt, Limits limits) {

    public ApiKey {
        scopes = Set.copyOf(scopes);
        limits = limits == null ? Limits.NONE : limits;
    }

    /** A key without limits of its own. */
    public ApiKey(UUID id, UUID tenantId, String name, String prefix, String hash, Set<String> scopes,
            Instant createdAt, Instant expiresAt, Instant lastUsedAt, Instant revokedAt) {
        this(id, tenantId, name, prefix, hash, scopes, createdAt, expiresAt, lastUsedAt, revokedAt, Limits.NONE);
    }

    /** Usable at {@code now}: neither revoked nor expired. */
    public boolean activeAt(Instant now) {
        return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
    }

    /** The stored form of the scopes: sorted names, comma-separated. */
    public String scopeList() {
        return String.join(",", new java.util.TreeSet<>(scopes));
    }

    public static Set<String> parseScopes(String list) {
        return list == null || list.isBlank() ? Set.of() : Set.of(list.split(","));
    }
}
