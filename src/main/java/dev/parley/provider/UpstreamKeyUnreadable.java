package dev.parley.provider;

import java.util.UUID;

/**
 * The stored API key of a tenant's upstream cannot be decrypted (altered, or sealed under a key that is no longer
 * configured): that upstream's turns fail before anything is stored, and nothing else does.
 */
public class UpstreamKeyUnreadable extends RuntimeException {

    public UpstreamKeyUnreadable(String name, UUID id, String why) {
        super("the API key stored for upstream '" + name + "' (" + id + ") cannot be decrypted: " + why
                + "; set it again with PATCH /api/upstreams/" + id, null, false, false);
    }
}
