package dev.parley.store;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/**
 * A position in ranked search results: the rank, creation time and id of the last hit of a page (results are ordered
 * by rank, higher first, then newer first, then by id). Opaque to clients (base64url). It carries no tenant: the
 * tenant always comes from the caller, so a cursor, forged or not, can only move within the caller's own results.
 */
public record SearchCursor(double rank, Instant createdAt, UUID messageId) {

    /** Marks search cursors, so a list endpoint's cursor is refused here rather than misread. */
    private static final byte TAG = 'S';
    private static final int LENGTH = 1 + 8 + 8 + 16;

    public String encode() {
        ByteBuffer b = ByteBuffer.allocate(LENGTH);
        b.put(TAG);
        b.putDouble(rank);
        b.putLong(Timestamps.toMicros(createdAt));
        b.putLong(messageId.getMostSignificantBits());
        b.putLong(messageId.getLeastSignificantBits());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    /** @throws IllegalArgumentException when the text is not a search cursor this service issued */
    public static SearchCursor decode(String text) {
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cursor is not valid base64url");
        }
        if (raw.length != LENGTH || raw[0] != TAG) {
            throw new IllegalArgumentException("cursor is not a search cursor");
        }
        ByteBuffer b = ByteBuffer.wrap(raw, 1, LENGTH - 1);
        double rank = b.getDouble();
        if (!Double.isFinite(rank)) {
            throw new IllegalArgumentException("cursor has no valid rank");
        }
        long micros = b.getLong();
        // the years both databases keep (PostgreSQL's timestamptz and Java's Instant reach further; this is plenty)
        if (micros < Timestamps.toMicros(Instant.parse("0001-01-01T00:00:00Z"))
                || micros > Timestamps.toMicros(Instant.parse("9999-12-31T23:59:59.999999Z"))) {
            throw new IllegalArgumentException("cursor has no valid time");
        }
        return new SearchCursor(rank, Timestamps.fromMicros(micros), new UUID(b.getLong(), b.getLong()));
    }
}
