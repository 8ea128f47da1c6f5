package dev.parley.store;

import java.time.Instant;

/**
 * Where a Stripe event sits in time: its {@code created} second, then its id, which breaks ties in a fixed
 * (byte) order. Subscriptions remember the mark of the newest event applied to them; an event applies only when
 * its mark is later, which is what lets deliveries in any order converge on the same state.
 */
public record EventMark(Instant created, String eventId) implements Comparable<EventMark> {

    @Override
    public int compareTo(EventMark other) {
        int c = created.compareTo(other.created);
        // Stripe ids are ASCII, so String order is byte order here, the order both databases sort them by
        return c != 0 ? c : eventId.compareTo(other.eventId);
    }

    public boolean isAfter(EventMark other) {
        return other == null || compareTo(other) > 0;
    }

    /** A mark from two nullable columns: null when the subscription has none yet. */
    public static EventMark of(Instant created, String eventId) {
        return created == null || eventId == null ? null : new EventMark(created, eventId);
    }
}
