package dev.parley.provider;

import java.util.Collection;

/** No configured provider serves the requested model. */
public class UnknownModelException extends RuntimeException {

    public UnknownModelException(String model, Collection<String> available) {
        super("model '" + model + "' is not served here; available: " + String.join(", ", available), null, false,
                false);
    }
}
