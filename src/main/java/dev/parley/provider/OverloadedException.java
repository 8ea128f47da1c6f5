package dev.parley.provider;

/**
 * Every upstream that serves the model has as many requests waiting for a connection as its wait queue holds: a new
 * turn is refused (503 {@code overloaded}, with {@code Retry-After}) before anything is stored.
 */
public class OverloadedException extends RuntimeException {

    public OverloadedException(String model) {
        super("every upstream for model '" + model + "' is at its connection limit and wait queue; retry shortly",
                null, false, false);
    }
}
