package dev.parley.provider;

/** A provider could not serve a request: unreachable, timed out, or answered with an error. */
public class ProviderException extends RuntimeException {

    private final String provider;
    private final int upstreamStatus;

    public ProviderException(String provider, int upstreamStatus, String message) {
        super(message, null, false, false);
        this.provider = provider;
        this.upstreamStatus = upstreamStatus;
    }

    public String provider() {
        return provider;
    }

    /** The upstream HTTP status, or 0 when there was no answer (connection refused, timeout). */
    public int upstreamStatus() {
        return upstreamStatus;
    }
}
