package dev.parley.provider;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import dev.parley.store.Timestamps;
import dev.parley.store.TenantUpstream;
import dev.parley.store.UpstreamStore;
import dev.parley.store.UpstreamStore.ModelAllowlist;
import dev.parley.store.UuidV7;
import io.smallrye.mutiny.Uni;

/**
 * A tenant's own upstreams and its allowlist of operator models, as the tenant and the operator change them. API keys
 * are sealed ({@link UpstreamKeyEncryption}) before they reach the store and never leave it again except to the
 * upstream itself; a change applies to this process at once ({@link ModelAccess#forget}).
 */
@ApplicationScoped
public class TenantUpstreams {

    /** Most upstreams one tenant may have. */
    public static final int MAX_PER_TENANT = 50;

    private final UpstreamStore store;
    private final ModelAccess access;

    TenantUpstreams(UpstreamStore store, ModelAccess access) {
        this.store = store;
        this.access = access;
    }

    /** A new upstream, as checked by the caller. */
    public record NewUpstream(String name, String baseUrl, String apiKey, List<String> models) {
    }

    /** A change: null fields stay as they are. */
    public record Change(String name, String baseUrl, String apiKey, List<String> models) {
    }

    /** Too many upstreams, or none can be stored without an encryption key. */
    public static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    public Uni<TenantUpstream> create(UUID tenantId, NewUpstream u) {
        UpstreamKeyEncryption keys = sealing();
        return store.list(tenantId).chain(existing -> {
            if (existing.size() >= MAX_PER_TENANT) {
                throw new Refused("a tenant may have at most " + MAX_PER_TENANT + " upstreams; delete one first");
            }
            UUID id = UuidV7.next();
            var now = Timestamps.now();
            TenantUpstream created = new TenantUpstream(id, tenantId, u.name(), u.baseUrl(), u.models(),
                    keys.seal(u.apiKey(), tenantId, id), keys.currentKeyId().orElseThrow(),
                    UpstreamKeyEncryption.hint(u.apiKey()), now, now);
            return store.create(created).invoke(() -> access.forget(tenantId)).replaceWith(created);
        });
    }

    public Uni<List<TenantUpstream>> list(UUID tenantId) {
        return store.list(tenantId);
    }

    public Uni<Optional<TenantUpstream>> find(UUID tenantId, UUID id) {
        return store.find(tenantId, id);
    }

    /** The changed upstream; empty when the tenant has none with that id. */
    public Uni<Optional<TenantUpstream>> change(UUID tenantId, UUID id, Change change) {
        UpstreamKeyEncryption keys = change.apiKey() == null ? null : sealing();
        return store.find(tenantId, id).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().item(Optional.<TenantUpstream> empty());
            }
            TenantUpstream u = found.get();
            TenantUpstream changed = new TenantUpstream(u.id(), tenantId,
                    change.name() == null ? u.name() : change.name(),
                    change.baseUrl() == null ? u.baseUrl() : change.baseUrl(),
                    change.models() == null ? u.models() : change.models(),
                    keys == null ? u.sealedKey() : keys.seal(change.apiKey(), tenantId, id),
                    keys == null ? u.keyId() : keys.currentKeyId().orElseThrow(),
                    keys == null ? u.keyHint() : UpstreamKeyEncryption.hint(change.apiKey()), u.createdAt(),
                    Timestamps.now());
            return store.replace(changed).invoke(() -> access.forget(tenantId))
                    .map(done -> done ? Optional.of(changed) : Optional.<TenantUpstream> empty());
        });
    }

    public Uni<Boolean> delete(UUID tenantId, UUID id) {
        return store.delete(tenantId, id).invoke(() -> access.forget(tenantId));
    }

    public Uni<Optional<ModelAllowlist>> allowedModels(UUID tenantId) {
        return store.allowedModels(tenantId);
    }

    /** Replaces the tenant's allowlist of operator models; false for an unknown tenant. */
    public Uni<Boolean> setAllowedModels(UUID tenantId, ModelAllowlist allowlist) {
        return store.setAllowedModels(tenantId, allowlist).invoke(() -> access.forget(tenantId));
    }

    private UpstreamKeyEncryption sealing() {
        UpstreamKeyEncryption keys = access.encryption();
        if (!keys.canSeal()) {
            throw new UpstreamKeyEncryption.NotConfigured();
        }
        return keys;
    }
}
