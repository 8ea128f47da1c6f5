package dev.parley.store;

/**
 * The database cannot be used: unreachable, missing, held by another Parley process, or (when {@code configuration}
 * is set) misconfigured, e.g. a directory that cannot be created. The message is one line fit for an operator.
 */
public class BackendUnavailable extends RuntimeException {

    private final boolean configuration;

    public BackendUnavailable(String message) {
        this(message, false);
    }

    public BackendUnavailable(String message, boolean configuration) {
        super(message, null, false, false);
        this.configuration = configuration;
    }

    /** The operator must change a setting, rather than wait for or free the database. */
    public boolean configuration() {
        return configuration;
    }
}
