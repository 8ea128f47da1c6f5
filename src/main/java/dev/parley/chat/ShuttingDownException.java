package dev.parley.chat;

/** A new chat turn arrived after shutdown began; the client should send it again, to another replica. */
public class ShuttingDownException extends RuntimeException {

    public ShuttingDownException() {
        super("the server is shutting down and takes no new chat turns; send the request again", null, false, false);
    }
}
