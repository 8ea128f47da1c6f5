package dev.parley.chat;

import java.util.UUID;

import dev.parley.store.Message;

/** What a chat turn tells its client, in order: started, deltas, then ended or failed. */
public sealed interface TurnEvent {

    record Started(UUID conversationId, UUID userMessageId, UUID assistantMessageId, String model)
            implements TurnEvent {
    }

    record Delta(String text) implements TurnEvent {
    }

    /** The reply is complete and stored. */
    record Ended(Message assistant) implements TurnEvent {
    }

    /** The reply broke off; what was produced is stored (when {@code assistant} is not null) with the reason. */
    record Failed(Message assistant, TurnFailure failure, String detail) implements TurnEvent {
    }
}
