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

    /**
     * Reply events kept for a client that reads slower than the model writes; a client further behind is cut off
     * (the whole reply is still stored when the model finishes).
     */
    @WithDefault("1024")
    int streamBufferEvents();
}
