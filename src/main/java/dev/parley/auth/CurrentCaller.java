package dev.parley.auth;

import jakarta.enterprise.context.RequestScoped;

/** The authenticated caller of this request, set by {@link ApiKeyAuthentication}. */
@RequestScoped
public class CurrentCaller {

    private Caller caller;

    void set(Caller caller) {
        this.caller = caller;
    }

    public Caller get() {
        if (caller == null) {
            throw new IllegalStateException("request is not authenticated");
        }
        return caller;
    }
}
