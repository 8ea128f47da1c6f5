package dev.parley.usage;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import dev.parley.store.Limits;
import dev.parley.store.ProcessInstance;
import dev.parley.store.Timestamps;
import dev.parley.store.TurnStore;
import io.smallrye.mutiny.Uni;

/**
 * What a turn holds against the limits while it runs: its tenant's and its key's limits as they are when it starts,
 * and a reservation of tokens (its prompt's, estimated, plus the reply's {@code max_tokens} or
 * {@code PARLEY_DEFAULT_RESERVATION_TOKENS}), which its reply's real count replaces when it ends.
 */
@ApplicationScoped
public class Admissions {

    private final TenantLimits tenants;
    private final long defaultReplyTokens;
    private final long maxTokensCap;

    Admissions(TenantLimits tenants, UsageSettings settings) {
        this.tenants = tenants;
        this.defaultReplyTokens = settings.defaultReservationTokens();
        this.maxTokensCap = settings.maxTokensCap();
    }

    /** The {@code max_tokens} to send upstream: what the client asked for, at most {@code PARLEY_MAX_TOKENS_CAP}. */
    public Integer cappedMaxTokens(Integer asked) {
        return asked == null ? null : (int) Math.min(asked, maxTokensCap);
    }

    public Uni<TurnStore.Admission> admit(UUID tenantId, UUID keyId, Limits keyLimits, int promptTokens,
            Integer maxTokens) {
        Instant now = Timestamps.now();
        long reply = maxTokens == null ? defaultReplyTokens : maxTokens;
        return tenants.effective(tenantId, now).map(tenant -> new TurnStore.Admission(now, ProcessInstance.ID,
                promptTokens + reply, List.of(new TurnStore.Subject(tenantId, "tenant", tenant),
                        new TurnStore.Subject(keyId, "key", keyLimits))));
    }
}
