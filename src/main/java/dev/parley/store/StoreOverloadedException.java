package dev.parley.store;

/** The store refuses new work for now (bounded queue full); the client should retry shortly. */
public class StoreOverloadedException extends RuntimeException {

    private final int retryAfterSeconds;

    public StoreOverloadedException(String message, int retryAfterSeconds) {
        super(message, null, false, false);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
