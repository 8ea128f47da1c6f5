package dev.parley.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;

/**
 * A keyset position in a list sorted by a timestamp and a text id (Stripe's ids): {@link Cursor} for rows whose id
 * is not a UUID. Opaque to clients (base64url).
 */
public record TextCursor(Instant at, String id) {

    private static final int MAX_ID_BYTES = 255;
    /** The ids these cursors carry are Stripe's: ASCII letters, digits and underscores. */
    private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[A-Za-z0-9_]+");

    public String encode() {
        byte[] text = id.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + text.length);
        b.putLong(Timestamps.toMicros(at));
        b.put(text);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    /** @throws IllegalArgumentException when the text is not a cursor this service issued */
    public static TextCursor decode(String text) {
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cursor is not valid base64url");
        }
        if (raw.length <= 8 || raw.length > 8 + MAX_ID_BYTES) {
            throw new IllegalArgumentException("cursor has the wrong length");
        }
        ByteBuffer b = ByteBuffer.wrap(raw);
        Instant at = Timestamps.fromMicros(b.getLong());
        String id = new String(raw, 8, raw.length - 8, StandardCharsets.US_ASCII);
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("cursor does not name an id");
        }
        return new TextCursor(at, id);
    }

    public static TextCursor of(Instant at, String id) {
        return new TextCursor(at.truncatedTo(ChronoUnit.MICROS), id);
    }
}
