package dev.parley.store;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/**
 * A position in search results (see {@link SearchStore}): first the ranked window, best first, then the older
 * matches, newest first. It names the last hit of a page: whether it was ranked, its rank, its {@code position} in the
 * backend's newest-first order (SQLite: the message's rowid; PostgreSQL: its creation time in microseconds, with the
 * message id breaking ties) and, while still in the ranked window, where that window ends ({@code floor}: the position
 * and id of its oldest match; null when the window held every match, so nothing follows it). Opaque to clients
 * (base64url). It carries no tenant: the tenant always comes from the caller, so a cursor, forged or not, can only
 * move within the caller's own results.
 */
public record SearchCursor(boolean ranked, double rank, long position, UUID messageId, Floor floor) {

    /** The oldest match of a ranked window: every match at or after it (newest first) was ranked. */
    public record Floor(long position, UUID messageId) {
    }

    /** Marks search cursors, so a list endpoint's cursor is refused here rather than misread. */
    private static final byte TAG = 's';
    private static final int LENGTH = 1 + 1 + 8 + 8 + 16 + 8 + 16;
    private static final int RANKED = 1;
    private static final int HAS_FLOOR = 2;
    /**
     * Positions are SQLite rowids (positive) or PostgreSQL microseconds within the years 1 to 9999; anything outside
     * these bounds was not issued by this service.
     */
    private static final long MIN_POSITION = Timestamps.toMicros(Instant.parse("0001-01-01T00:00:00Z"));
    private static final long MAX_POSITION = Timestamps.toMicros(Instant.parse("9999-12-31T23:59:59.999999Z"));

    public String encode() {
        ByteBuffer b = ByteBuffer.allocate(LENGTH);
        b.put(TAG);
        b.put((byte) ((ranked ? RANKED : 0) | (floor != null ? HAS_FLOOR : 0)));
        b.putDouble(rank);
        b.putLong(position);
        b.putLong(messageId.getMostSignificantBits());
        b.putLong(messageId.getLeastSignificantBits());
        b.putLong(floor == null ? 0 : floor.position());
        b.putLong(floor == null ? 0 : floor.messageId().getMostSignificantBits());
        b.putLong(floor == null ? 0 : floor.messageId().getLeastSignificantBits());
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
        int flags = b.get();
        if ((flags & ~(RANKED | HAS_FLOOR)) != 0 || flags == HAS_FLOOR) {
            throw new IllegalArgumentException("cursor has unknown flags");
        }
        double rank = b.getDouble();
        if (!Double.isFinite(rank)) {
            throw new IllegalArgumentException("cursor has no valid rank");
        }
        long position = position(b.getLong());
        UUID messageId = new UUID(b.getLong(), b.getLong());
        long floorPosition = b.getLong();
        UUID floorId = new UUID(b.getLong(), b.getLong());
        Floor floor = (flags & HAS_FLOOR) == 0 ? null : new Floor(position(floorPosition), floorId);
        return new SearchCursor((flags & RANKED) != 0, rank, position, messageId, floor);
    }

    private static long position(long p) {
        if (p < MIN_POSITION || p > MAX_POSITION) {
            throw new IllegalArgumentException("cursor has no valid position");
        }
        return p;
    }
}
