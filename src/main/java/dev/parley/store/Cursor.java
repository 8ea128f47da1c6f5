package dev.parley.store;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;

/**
 * A keyset position: the sort timestamp and id of the last item of a page. Opaque to clients (base64url).
 */
public record Cursor(Instant at, UUID id) {

    public String encode() {
        ByteBuffer b = ByteBuffer.allocate(24);
        b.putLong(Timestamps.toMicros(at));
        b.putLong(id.getMostSignificantBits());
        b.putLong(id.getLeastSignificantBits());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    /** @throws IllegalArgumentException when the text is not a cursor this service issued */
    public static Cursor decode(String text) {
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cursor is not valid base64url");
        }
        if (raw.length != 24) {
            throw new IllegalArgumentException("cursor has the wrong length");
        }
        ByteBuffer b = ByteBuffer.wrap(raw);
        return new Cursor(Timestamps.fromMicros(b.getLong()), new UUID(b.getLong(), b.getLong()));
    }

    public static Cursor of(Instant at, UUID id) {
        return new Cursor(at.truncatedTo(ChronoUnit.MICROS), id);
    }
}
