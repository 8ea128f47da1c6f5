package dev.parley.store;

import java.util.Optional;

/** A partial update of a conversation: absent fields stay as they are. */
public record ConversationChange(Optional<String> title, Optional<Boolean> archived, Optional<String> metadata) {
}
