package dev.parley.provider;

/**
 * An upstream could not serve a request: unreachable, timed out, or answered with an error. The message is for the
 * log (it may quote the upstream's error body); clients get {@link #publicReason()}, which names neither the
 * upstream's address nor what it answered beyond its status.
 */
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

    /** What a client may be told. */
    public String publicReason() {
        return upstreamStatus == 0 ? "the model's upstream could not be reached or broke off"
                : "the model's upstream answered HTTP " + upstreamStatus;
    }
}
