package dev.parley.store.postgres;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import dev.parley.store.ApiKey;
import dev.parley.store.Limits;

@Entity
@Table(name = "api_keys")
class ApiKeyEntity {
    @Id
    UUID id;
    @Column(name = "tenant_id")
    UUID tenantId;
    String name;
    @Column(name = "key_prefix")
    String prefix;
    @Column(name = "key_hash")
    String hash;
    String scopes;
    @Column(name = "created_at")
    Instant createdAt;
    @Column(name = "expires_at")
    Instant expiresAt;
    @Column(name = "last_used_at")
    Instant lastUsedAt;
    @Column(name = "revoked_at")
    Instant revokedAt;
    @Column(name = "requests_per_minute")
    Long requestsPerMinute;
    @Column(name = "tokens_per_minute")
    Long tokensPerMinute;
    @Column(name = "concurrent_turns")
    Long concurrentTurns;
    @Column(name = "monthly_token_budget")
    Long monthlyTokenBudget;

    static ApiKeyEntity of(ApiKey k) {
        ApiKeyEntity e = new ApiKeyEntity();
        e.id = k.id();
        e.tenantId = k.tenantId();
        e.name = k.name();
        e.prefix = k.prefix();
        e.hash = k.hash();
        e.scopes = k.scopeList();
        e.createdAt = k.createdAt();
        e.expiresAt = k.expiresAt();
        e.lastUsedAt = k.lastUsedAt();
        e.revokedAt = k.revokedAt();
        e.requestsPerMinute = k.limits().requestsPerMinute();
        e.tokensPerMinute = k.limits().tokensPerMinute();
        e.concurrentTurns = k.limits().concurrentTurns();
        e.monthlyTokenBudget = k.limits().monthlyTokenBudget();
        return e;
    }

    ApiKey toRecord() {
        return new ApiKey(id, tenantId, name, prefix, hash, ApiKey.parseScopes(scopes), createdAt, expiresAt,
                lastUsedAt, revokedAt, new Limits(requestsPerMinute, tokensPerMinute, concurrentTurns,
                        monthlyTokenBudget));
    }
}
