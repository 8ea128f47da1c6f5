package dev.parley.provider;

import java.util.List;

import io.smallrye.mutiny.Multi;

/**
 * Where a tenant's turn for one model goes: the providers that serve it to that tenant (its own upstreams for the
 * model, or the operator's), tried with the same rotation and failover ({@link Providers}).
 */
public final class Route {

    private final String model;
    private final List<ChatProvider> candidates;
    private final Providers providers;

    Route(String model, List<ChatProvider> candidates, Providers providers) {
        this.model = model;
        this.candidates = List.copyOf(candidates);
        this.providers = providers;
    }

    /** The model, as the request named it or as the tenant's default. */
    public String model() {
        return model;
    }

    /** Cancelling the returned stream aborts the upstream request. */
    public Multi<ProviderChunk> stream(ProviderRequest request) {
        return providers.stream(candidates, request);
    }
}
