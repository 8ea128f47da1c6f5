package dev.parley.provider;

import java.util.Collection;

/** The tenant's allowlist does not include the operator's model it asked for. */
public class ModelNotAllowedException extends RuntimeException {

    public ModelNotAllowedException(String model, Collection<String> allowed) {
        super("model '" + model + "' is not allowed for this tenant; allowed models: "
                + (allowed.isEmpty() ? "none" : String.join(", ", allowed)), null, false, false);
    }
}
