package dev.parley.provider;

import java.util.List;

public record ProviderRequest(String model, List<PromptMessage> messages) {
}
