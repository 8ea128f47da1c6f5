package dev.parley.chat;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Chat settings ({@code PARLEY_CHAT_*}). */
@ConfigMapping(prefix = "parley.chat")
public interface ChatSettings {

    /** Most earlier messages sent to the model with a new one. */
    @WithDefault("50")
    int historyMaxMessages();

    /** Estimated token budget for the history plus the new message. */
    @WithDefault("16000")
    int historyMaxTokens();
}
