package dev.parley.store;

import java.util.UUID;

public class NoSuchConversationException extends RuntimeException {

    public NoSuchConversationException(UUID id) {
        super("conversation " + id + " does not exist", null, false, false);
    }
}
