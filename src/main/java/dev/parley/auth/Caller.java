package dev.parley.auth;

import java.util.UUID;

/** Who is making the current request: the tenant whose data it may touch, and through which key. */
public record Caller(UUID tenantId, UUID keyId, boolean admin) {
}
