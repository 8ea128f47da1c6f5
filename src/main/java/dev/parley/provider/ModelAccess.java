package dev.parley.provider;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.parley.store.DatabaseReady;
import dev.parley.store.TenantUpstream;
import dev.parley.store.UpstreamStore;
import dev.parley.store.UpstreamStore.ModelAllowlist;
import io.smallrye.mutiny.Uni;

/**
 * Which models a tenant may use and where its turns go: a model one of its own upstreams lists goes there, with that
 * upstream's key (no other tenant's turns ever do); any other model goes to the operator's upstreams if the tenant's
 * allowlist includes it (no allowlist: every operator model). A tenant's upstreams, with their keys decrypted, and
 * its allowlist are remembered for {@code PARLEY_UPSTREAM_TENANT_CACHE_TTL}.
 */
@ApplicationScoped
public class ModelAccess {

    private static final Logger LOG = Logger.getLogger(ModelAccess.class);
    private static final int CACHE_LIMIT = 10_000;

    /** One of the tenant's upstreams: its provider, or why its key cannot be decrypted. */
    private record Own(TenantUpstream upstream, ChatProvider provider, String unreadable) {
        boolean serves(String model) {
            return upstream.models().contains(model);
        }
    }

    private record Access(List<Own> own, ModelAllowlist allowlist, long expiresAtNanos) {
    }

    private final Providers operator;
    private final UpstreamStore store;
    private final ProviderSettings settings;
    private final EncryptionSettings encryptionSettings;
    private final long ttlNanos;
    private final ConcurrentHashMap<UUID, Access> cache = new ConcurrentHashMap<>();
    private volatile UpstreamKeyEncryption encryption;

    ModelAccess(Providers operator, UpstreamStore store, ProviderSettings settings,
            EncryptionSettings encryptionSettings) {
        this.operator = operator;
        this.store = store;
        this.settings = settings;
        this.encryptionSettings = encryptionSettings;
        this.ttlNanos = settings.upstream().tenantCacheTtl().toNanos();
    }

    /** The configured encryption keys; {@link UpstreamKeyEncryption.InvalidKey} when one is not a key. */
    public UpstreamKeyEncryption encryption() {
        UpstreamKeyEncryption e = encryption;
        if (e == null) {
            e = UpstreamKeyEncryption.of(encryptionSettings);
            encryption = e;
        }
        return e;
    }

    /**
     * At start: the encryption keys must be keys, and every key that stored values are sealed under must be
     * configured; otherwise those upstreams would be lost silently.
     *
     * @throws MissingKey naming the first missing key id
     */
    void onReady(@Observes DatabaseReady ready) {
        UpstreamKeyEncryption keys = encryption();
        Set<String> used = store.keyIds().await().atMost(Duration.ofSeconds(30));
        for (String id : used) {
            if (!keys.canOpen(id)) {
                throw new MissingKey("Stored upstream API keys are encrypted under key id " + id + ", which is "
                        + "neither PARLEY_ENCRYPTION_KEY nor in PARLEY_ENCRYPTION_OLD_KEYS; set the key with that id "
                        + "(without it those API keys cannot be recovered)");
            }
        }
        if (!used.isEmpty()) {
            LOG.infof("Tenant upstream API keys are encrypted under key ids %s; current key id %s", used,
                    keys.currentKeyId().orElse("none"));
        }
    }

    /** The database holds values sealed under a key that is not configured. */
    public static final class MissingKey extends RuntimeException {
        MissingKey(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Where the tenant's turn for {@code requested} (null or blank: the tenant's default model) goes.
     *
     * @throws ModelNotAllowedException an operator model outside the tenant's allowlist
     * @throws UnknownModelException no one serves it
     * @throws UpstreamKeyUnreadable every own upstream for the model has a key that cannot be decrypted
     * @throws OverloadedException every provider for it is at its connection limit
     */
    public Uni<Route> route(UUID tenantId, String requested) {
        return access(tenantId).map(a -> {
            String model = requested == null || requested.isBlank() ? defaultModel(a) : requested.trim();
            List<Own> own = a.own().stream().filter(o -> o.serves(model)).toList();
            if (!own.isEmpty()) {
                List<ChatProvider> readable = own.stream().filter(o -> o.provider() != null).map(Own::provider)
                        .toList();
                if (readable.isEmpty()) {
                    Own first = own.get(0);
                    throw new UpstreamKeyUnreadable(first.upstream().name(), first.upstream().id(),
                            first.unreadable());
                }
                return operator.route(model, readable);
            }
            if (a.allowlist().restricted() && !a.allowlist().models().contains(model)) {
                throw new ModelNotAllowedException(model, usable(a));
            }
            List<ChatProvider> candidates = operator.candidates(model);
            if (candidates.isEmpty()) {
                throw new UnknownModelException(model, usable(a));
            }
            return operator.route(model, candidates);
        });
    }

    /** Exactly the models the tenant may use: its own upstreams' and the operator's it is allowed. */
    public Uni<List<String>> models(UUID tenantId) {
        return access(tenantId).map(this::usable);
    }

    /** Drops what is remembered of the tenant, after a change through this process. */
    public void forget(UUID tenantId) {
        cache.remove(tenantId);
    }

    private List<String> usable(Access a) {
        Set<String> names = new LinkedHashSet<>();
        a.own().forEach(o -> names.addAll(o.upstream().models()));
        if (a.allowlist().restricted()) {
            a.allowlist().models().stream().filter(operator::serves).forEach(names::add);
        } else {
            names.addAll(operator.models());
        }
        return List.copyOf(names);
    }

    /** The operator's default when the tenant may use it, else the first model it may use. */
    private String defaultModel(Access a) {
        String operatorDefault = operator.defaultModel();
        if (!a.allowlist().restricted() || a.allowlist().models().contains(operatorDefault)) {
            return operatorDefault;
        }
        return usable(a).stream().findFirst().orElse(operatorDefault);
    }

    private Uni<Access> access(UUID tenantId) {
        Access cached = cache.get(tenantId);
        if (cached != null && cached.expiresAtNanos() - System.nanoTime() > 0) {
            return Uni.createFrom().item(cached);
        }
        return store.list(tenantId).chain(upstreams -> store.allowedModels(tenantId).map(allowlist -> {
            Access a = new Access(providers(upstreams), allowlist.orElse(ModelAllowlist.EVERY),
                    System.nanoTime() + ttlNanos);
            if (cache.size() >= CACHE_LIMIT) {
                cache.clear();
            }
            cache.put(tenantId, a);
            return a;
        }));
    }

    private List<Own> providers(List<TenantUpstream> upstreams) {
        List<Own> own = new ArrayList<>(upstreams.size());
        for (TenantUpstream u : upstreams) {
            try {
                String key = encryption().open(u.sealedKey(), u.tenantId(), u.id());
                own.add(new Own(u, new OpenAiUpstream(u.name(), u.baseUrl(), key, Set.copyOf(u.models()), false,
                        settings.upstream().tenantTimeout(), operator.pool()), null));
            } catch (UpstreamKeyEncryption.Unreadable | UpstreamKeyEncryption.InvalidKey e) {
                LOG.warnf("Tenant %s, upstream %s (%s): its stored API key cannot be decrypted: %s", u.tenantId(),
                        u.name(), u.id(), e.getMessage());
                own.add(new Own(u, null, e.getMessage()));
            }
        }
        return own;
    }
}
