package dev.parley.provider;

/** One message of the prompt sent to a model, in OpenAI's role vocabulary. */
public record PromptMessage(String role, String content) {
}
