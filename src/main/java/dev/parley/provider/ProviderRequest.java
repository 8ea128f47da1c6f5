package dev.parley.provider;

import java.util.List;

/** What a model is asked: the prompt, and at most how many tokens to reply with (null: the upstream's default). */
public record ProviderRequest(String model, List<PromptMessage> messages, Integer maxTokens) {

    public ProviderRequest(String model, List<PromptMessage> messages) {
        this(model, messages, null);
    }
}
