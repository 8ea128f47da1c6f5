package dev.parley.provider;

/** What a provider stream carries: text as it is produced, token usage, and why it finished. */
public sealed interface ProviderChunk {

    record Text(String text) implements ProviderChunk {
    }

    record Usage(int promptTokens, int completionTokens) implements ProviderChunk {
    }

    record Finished(String reason) implements ProviderChunk {
    }
}
