package dev.parley.store;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.UUID;

import io.smallrye.mutiny.Uni;

/**
 * The two writes of a chat turn. {@link #start} admits the turn against its tenant's and key's limits and stores its
 * first messages in one transaction: refused, it stores nothing. {@link #finish} stores the reply together with
 * everything that counts it (usage rollups, the limit counters, the turn leaving the in-flight count), so the counts
 * always equal a recomputation from the messages, and no bookkeeping write is ever separate from the data.
 */
public interface TurnStore {

    /**
     * @return a failure with {@link LimitExceeded} when a limit refuses the turn, or {@link NoSuchConversationException}
     *         when the conversation does not exist for the tenant; in both cases nothing was stored
     */
    Uni<Void> start(TurnStart start);

    /**
     * @return true when the reply was stored; false when its conversation was deleted while it streamed (the tokens
     *         it spent are still counted against the limits, but no rollup counts a reply that is not stored)
     */
    Uni<Boolean> finish(TurnEnd end);

    /** Processes whose heartbeat is older than this no longer count towards turns in flight. */
    java.time.Duration ALIVE = java.time.Duration.ofSeconds(30);

    /** The key id usage rollups record for replies whose key is unknown (stored before usage was counted). */
    UUID UNKNOWN_KEY = new UUID(0, 0);

    /** A tenant or a key, with the limits it has for this turn. */
    record Subject(UUID id, String kind, Limits limits) {
    }

    /**
     * What a turn holds while it runs: when it was admitted, by which process, the tokens it reserved, and the
     * subjects whose counters it touched.
     */
    record Admission(Instant at, String instance, long reservedTokens, List<Subject> subjects) {

        private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm")
                .withZone(ZoneOffset.UTC);
        private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyy-MM").withZone(ZoneOffset.UTC);

        public String minute() {
            return MINUTE.format(at);
        }

        public String month() {
            return MONTH.format(at);
        }
    }

    /**
     * A turn's first write: a conversation to create ({@code newConversation}, else {@code messages} go into an existing
     * one, which must exist for the tenant), the messages, and the admission.
     */
    record TurnStart(Conversation newConversation, List<Message> messages, Admission admission) {
    }

    /** A turn's last write: the reply (with its key and model), and the admission it settles. */
    record TurnEnd(Message reply, Admission admission) {
    }

    /** The UTC day of an instant, as rollups name it. */
    static String day(Instant at) {
        return DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC).format(at);
    }
}
