package dev.parley.provider;

/** An upstream could not serve a request: unreachable, timed out, or answered with an error. */
public class UpstreamException extends RuntimeException {

    private final String upstream;
    private final int upstreamStatus;

    public UpstreamException(String upstream, int upstreamStatus, String message) {
        super(message, null, false, false);
        this.upstream = upstream;
        this.upstreamStatus = upstreamStatus;
    }

    public String upstream() {
        return upstream;
    }

    /** The upstream HTTP status, or 0 when there was no answer (connection refused, timeout). */
    public int upstreamStatus() {
        return upstreamStatus;
    }
}
