package dev.parley.auth;

/** The request carries no valid API key. */
public class Unauthenticated extends RuntimeException {

    public Unauthenticated(String message) {
        super(message, null, false, false);
    }
}
