package dev.parley.provider;

/**
 * No connection to an upstream could be had in time: its pool's wait queue was full, or the wait for a connection
 * exceeded {@code PARLEY_UPSTREAM_POOL_WAIT_TIMEOUT}. The next upstream for the model may still take the request.
 */
public class UpstreamBusyException extends UpstreamException {

    public UpstreamBusyException(String upstream, String message) {
        super(upstream, 0, message);
    }

    @Override
    public String publicReason() {
        return "every upstream for the model is at its connection limit; retry shortly";
    }
}
