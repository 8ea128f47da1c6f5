package dev.parley.provider;

import io.smallrye.mutiny.Multi;

/** A source of model replies. Cancelling the returned stream must abort the underlying request. */
public interface ChatProvider {

    String name();

    Multi<ProviderChunk> stream(ProviderRequest request);
}
