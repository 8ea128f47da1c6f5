package dev.parley.provider;

import java.util.Set;

import io.smallrye.mutiny.Multi;

/** A source of model replies: an OpenAI-compatible upstream or the demo model. */
public interface ChatProvider {

    String name();

    /** Whether it answers requests for {@code model}. */
    boolean serves(String model);

    /** The model names it advertises (none for an upstream that takes any name). */
    Set<String> models();

    /** True while it cannot take another request without refusing it (its connection pool and wait queue are full). */
    default boolean saturated() {
        return false;
    }

    /** Cancelling the returned stream must abort the underlying request. */
    Multi<ProviderChunk> stream(ProviderRequest request);
}
