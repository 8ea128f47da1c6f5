package dev.parley.auth;

/** The caller is authenticated but this operation needs an admin key. */
public class Forbidden extends RuntimeException {

    public Forbidden(String message) {
        super(message, null, false, false);
    }
}
