package dev.parley.auth;

import java.time.Duration;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.parley.store.DatabaseReady;
import dev.parley.store.ApiKey;
import dev.parley.store.Tenant;
import dev.parley.store.TenantStore;
import dev.parley.store.Timestamps;
import dev.parley.store.UuidV7;
import io.smallrye.mutiny.Uni;

/** Creating tenants and keys; and the bootstrap of the first admin key from {@code PARLEY_BOOTSTRAP_API_KEY}. */
@ApplicationScoped
public class Tenants {

    private static final Logger LOG = Logger.getLogger(Tenants.class);

    /** A tenant just created, with the only copy of its first key in clear text. */
    public record NewTenant(Tenant tenant, ApiKey key, String plaintextKey) {
    }

    /** A key just created; {@code plaintextKey} is shown to the caller once and never stored. */
    public record NewKey(ApiKey key, String plaintextKey) {
    }

    private final TenantStore store;
    private final Optional<String> bootstrapKey;
    private final String bootstrapTenant;

    Tenants(TenantStore store, AuthSettings settings) {
        this.store = store;
        this.bootstrapKey = settings.bootstrap().apiKey();
        this.bootstrapTenant = settings.bootstrap().tenant();
    }

    public Uni<NewTenant> createTenant(String name, boolean admin) {
        return createTenant(name, admin, ApiKeys.generate());
    }

    private Uni<NewTenant> createTenant(String name, boolean admin, String plaintext) {
        Tenant tenant = new Tenant(UuidV7.next(), name, Timestamps.now());
        ApiKey key = newKey(tenant.id(), admin ? "admin" : "default", admin, plaintext, tenant.createdAt());
        return store.createTenant(tenant, key).replaceWith(new NewTenant(tenant, key, plaintext));
    }

    public Uni<NewKey> createKey(java.util.UUID tenantId, String name) {
        String plaintext = ApiKeys.generate();
        ApiKey key = newKey(tenantId, name, false, plaintext, Timestamps.now());
        return store.createApiKey(key).replaceWith(new NewKey(key, plaintext));
    }

    /** The stored form of a key: only its hash and display prefix. */
    private static ApiKey newKey(java.util.UUID tenantId, String name, boolean admin, String plaintext,
            java.time.Instant createdAt) {
        return new ApiKey(UuidV7.next(), tenantId, name, ApiKeys.displayPrefix(plaintext), ApiKeys.hash(plaintext),
                admin, createdAt);
    }

    /**
     * Creates the bootstrap tenant with an admin key equal to {@code PARLEY_BOOTSTRAP_API_KEY} unless a key with that
     * value already exists. Idempotent, so the variable can stay set across restarts.
     */
    void onReady(@Observes DatabaseReady ready) {
        if (bootstrapKey.isEmpty() || bootstrapKey.get().isBlank()) {
            return;
        }
        String plaintext = bootstrapKey.get().trim();
        if (plaintext.length() < 16) {
            LOG.warn("PARLEY_BOOTSTRAP_API_KEY is shorter than 16 characters; ignoring it");
            return;
        }
        if (bootstrapKeyExists(plaintext)) {
            return;
        }
        try {
            NewTenant created = createTenant(bootstrapTenant, true, plaintext).await().atMost(Duration.ofSeconds(30));
            LOG.infof("Created tenant '%s' (%s) with the admin key from PARLEY_BOOTSTRAP_API_KEY (%s...)",
                    bootstrapTenant, created.tenant().id(), created.key().prefix());
        } catch (RuntimeException e) {
            // Replicas starting together on an empty database race here; the key's unique hash lets one win.
            if (!bootstrapKeyExists(plaintext)) {
                throw e;
            }
            LOG.info("The admin key from PARLEY_BOOTSTRAP_API_KEY was created meanwhile by another Parley process");
        }
    }

    private boolean bootstrapKeyExists(String plaintext) {
        return store.findActiveKey(ApiKeys.hash(plaintext)).await().atMost(Duration.ofSeconds(30)).isPresent();
    }
}
