package dev.parley.store;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import io.smallrye.mutiny.Uni;

/** Tenants' own upstreams, and which of the operator's models each tenant may use. Every call names the tenant. */
public interface UpstreamStore {

    Uni<Void> create(TenantUpstream upstream);

    /** The tenant's upstreams, oldest first. */
    Uni<List<TenantUpstream>> list(UUID tenantId);

    Uni<Optional<TenantUpstream>> find(UUID tenantId, UUID id);

    /** Replaces the tenant's upstream {@code upstream.id()}; false when the tenant has none with that id. */
    Uni<Boolean> replace(TenantUpstream upstream);

    Uni<Boolean> delete(UUID tenantId, UUID id);

    /** The ids of the encryption keys that stored values are sealed under. */
    Uni<Set<String>> keyIds();

    /** A tenant's allowlist of operator models: {@code models} null = every operator model. */
    record ModelAllowlist(List<String> models) {
        public static final ModelAllowlist EVERY = new ModelAllowlist(null);

        public ModelAllowlist {
            models = models == null ? null : List.copyOf(models);
        }

        public boolean restricted() {
            return models != null;
        }

        public String column() {
            return models == null ? null : String.join(",", models);
        }

        public static ModelAllowlist ofColumn(String column) {
            return column == null ? EVERY : new ModelAllowlist(TenantUpstream.parseModels(column));
        }
    }

    /** The tenant's allowlist; empty when there is no such tenant. */
    Uni<Optional<ModelAllowlist>> allowedModels(UUID tenantId);

    /** Replaces the tenant's allowlist; false when there is no such tenant. */
    Uni<Boolean> setAllowedModels(UUID tenantId, ModelAllowlist allowlist);
}
