package dev.parley.provider;

import java.util.List;

/**
 * Rough token counts for when a provider reports none: about four characters per token for English text, the
 * ratio OpenAI documents for its tokenizers. Exact counts always win when the provider sends usage.
 */
public final class TokenEstimate {

    private TokenEstimate() {
    }

    public static int of(String text) {
        return text == null || text.isEmpty() ? 0 : Math.max(1, (text.length() + 3) / 4);
    }

    /** A whole prompt: the sum over its messages' contents. */
    public static int ofPrompt(List<PromptMessage> prompt) {
        return prompt.stream().mapToInt(m -> of(m.content())).sum();
    }
}
