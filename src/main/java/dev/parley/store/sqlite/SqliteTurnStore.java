package dev.parley.store.sqlite;

import static dev.parley.store.sqlite.SqliteCodec.setId;
import static dev.parley.store.sqlite.SqliteCodec.setInstant;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.LimitExceeded;
import dev.parley.store.Limits;
import dev.parley.store.Message;
import dev.parley.store.NoSuchConversationException;
import dev.parley.store.TurnStore;
import dev.parley.store.UuidV7;
import io.smallrye.mutiny.Uni;

/**
 * A turn's two writes, each one job of the single writer, so its checks and counts are exact: the admission's
 * checks-and-increments and the messages commit together or not at all, and so do the reply and its counts.
 */
@ApplicationScoped
@Typed(SqliteTurnStore.class)
public class SqliteTurnStore implements TurnStore {

    private final SqliteWriter writer;

    SqliteTurnStore(SqliteWriter writer) {
        this.writer = writer;
    }

    @Override
    public Uni<Void> start(TurnStart start) {
        return writer.submit("start-turn", c -> {
            if (start.admission() != null) {
                admit(c, start.admission());
            }
            if (start.newConversation() != null) {
                SqliteConversationStore.insert(c, start.newConversation());
                SqliteMessageStore.insert(c, start.messages());
            } else {
                Message first = start.messages().get(0);
                SqliteMessageStore.append(c, first.tenantId(), first.conversationId(), start.messages());
            }
            return null;
        });
    }

    @Override
    public Uni<Boolean> finish(TurnEnd end) {
        return writer.submit("finish-turn", c -> {
            Message reply = end.reply();
            boolean stored;
            try {
                // refused before it writes anything when the conversation is gone
                SqliteMessageStore.append(c, reply.tenantId(), reply.conversationId(), List.of(reply));
                rollups(c, reply);
                stored = true;
            } catch (NoSuchConversationException gone) {
                stored = false;
            }
            if (end.admission() != null) {
                settle(c, end.admission(), (long) reply.tokensIn() + reply.tokensOut());
            }
            return stored;
        });
    }

    // --- admission -----------------------------------------------------------------------------------------------

    private static final String UPSERT_WINDOW = "INSERT INTO usage_windows (id, subject_id, period, requests, tokens) "
            + "VALUES (?, ?, ?, 1, ?) ON CONFLICT (subject_id, period) DO UPDATE SET "
            + "requests = usage_windows.requests + 1, tokens = usage_windows.tokens + excluded.tokens ";

    private static void admit(Connection c, Admission a) throws SQLException {
        long reserve = a.reservedTokens();
        for (Subject s : a.subjects()) {
            Limits l = s.limits();
            if (!l.any()) {
                continue;
            }
            refuseZero(s, a.at());
            // the month row first: it is the subject's one row every admission updates (PostgreSQL locks it)
            try (PreparedStatement ps = c.prepareStatement(UPSERT_WINDOW
                    + "WHERE ? IS NULL OR usage_windows.tokens < ? RETURNING tokens")) {
                bindWindow(ps, s, a.month(), reserve);
                bindLimit(ps, 5, l.monthlyTokenBudget());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new LimitExceeded(LimitExceeded.Kind.MONTHLY_TOKEN_BUDGET, s.kind(),
                                l.monthlyTokenBudget(), nextMonth(a.at()));
                    }
                }
            }
            if (l.perMinute()) {
                try (PreparedStatement ps = c.prepareStatement(UPSERT_WINDOW + "WHERE (? IS NULL OR "
                        + "usage_windows.requests < ?) AND (? IS NULL OR usage_windows.tokens < ?) RETURNING requests")) {
                    bindWindow(ps, s, a.minute(), reserve);
                    bindLimit(ps, 5, l.requestsPerMinute());
                    bindLimit(ps, 7, l.tokensPerMinute());
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            throw minuteRefusal(c, s, a);
                        }
                    }
                }
            }
            if (l.concurrentTurns() != null) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO usage_in_flight (id, subject_id, instance, "
                        + "turns) VALUES (?, ?, ?, 1) ON CONFLICT (subject_id, instance) DO UPDATE SET "
                        + "turns = usage_in_flight.turns + 1")) {
                    setId(ps, 1, UuidV7.next());
                    setId(ps, 2, s.id());
                    ps.setString(3, a.instance());
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(f.turns), 0) FROM usage_in_flight f "
                        + "LEFT JOIN heartbeats h ON h.instance = f.instance WHERE f.subject_id = ? "
                        + "AND (f.instance = ? OR h.beat_at >= ?)")) {
                    setId(ps, 1, s.id());
                    ps.setString(2, a.instance());
                    setInstant(ps, 3, a.at().minus(ALIVE));
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getLong(1) > l.concurrentTurns()) {
                            throw new LimitExceeded(LimitExceeded.Kind.CONCURRENT_TURNS, s.kind(),
                                    l.concurrentTurns(), a.at().plusSeconds(1));
                        }
                    }
                }
            }
        }
    }

    /** A limit of zero refuses every turn, also the first of a window (which the upserts would let in). */
    private static void refuseZero(Subject s, Instant at) {
        Limits l = s.limits();
        if (l.monthlyTokenBudget() != null && l.monthlyTokenBudget() <= 0) {
            throw new LimitExceeded(LimitExceeded.Kind.MONTHLY_TOKEN_BUDGET, s.kind(), 0, nextMonth(at));
        }
        if (l.requestsPerMinute() != null && l.requestsPerMinute() <= 0) {
            throw new LimitExceeded(LimitExceeded.Kind.REQUESTS_PER_MINUTE, s.kind(), 0, nextMinute(at));
        }
        if (l.tokensPerMinute() != null && l.tokensPerMinute() <= 0) {
            throw new LimitExceeded(LimitExceeded.Kind.TOKENS_PER_MINUTE, s.kind(), 0, nextMinute(at));
        }
        if (l.concurrentTurns() != null && l.concurrentTurns() <= 0) {
            throw new LimitExceeded(LimitExceeded.Kind.CONCURRENT_TURNS, s.kind(), 0, at.plusSeconds(1));
        }
    }

    private static LimitExceeded minuteRefusal(Connection c, Subject s, Admission a) throws SQLException {
        Limits l = s.limits();
        try (PreparedStatement ps = c.prepareStatement("SELECT requests FROM usage_windows WHERE subject_id = ? "
                + "AND period = ?")) {
            setId(ps, 1, s.id());
            ps.setString(2, a.minute());
            try (ResultSet rs = ps.executeQuery()) {
                long requests = rs.next() ? rs.getLong(1) : 0;
                return l.requestsPerMinute() != null && requests >= l.requestsPerMinute()
                        ? new LimitExceeded(LimitExceeded.Kind.REQUESTS_PER_MINUTE, s.kind(), l.requestsPerMinute(),
                                nextMinute(a.at()))
                        : new LimitExceeded(LimitExceeded.Kind.TOKENS_PER_MINUTE, s.kind(), l.tokensPerMinute(),
                                nextMinute(a.at()));
            }
        }
    }

    private static void bindWindow(PreparedStatement ps, Subject s, String period, long tokens) throws SQLException {
        setId(ps, 1, UuidV7.next());
        setId(ps, 2, s.id());
        ps.setString(3, period);
        ps.setLong(4, tokens);
    }

    private static void bindLimit(PreparedStatement ps, int index, Long limit) throws SQLException {
        if (limit == null) {
            ps.setNull(index, Types.INTEGER);
            ps.setNull(index + 1, Types.INTEGER);
        } else {
            ps.setLong(index, limit);
            ps.setLong(index + 1, limit);
        }
    }

    static Instant nextMinute(Instant at) {
        return at.truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
    }

    static Instant nextMonth(Instant at) {
        return at.atZone(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1).plusMonths(1).atStartOfDay(ZoneOffset.UTC)
                .toInstant();
    }

    // --- settlement ----------------------------------------------------------------------------------------------

    /** The reply's real tokens replace the admission's reservation; it leaves the turns in flight. */
    private static void settle(Connection c, Admission a, long spent) throws SQLException {
        for (Subject s : a.subjects()) {
            Limits l = s.limits();
            long reserved = l.any() ? a.reservedTokens() : 0;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO usage_windows (id, subject_id, period, "
                    + "requests, tokens) VALUES (?, ?, ?, 0, ?) ON CONFLICT (subject_id, period) DO UPDATE SET "
                    + "tokens = usage_windows.tokens + excluded.tokens")) {
                setId(ps, 1, UuidV7.next());
                setId(ps, 2, s.id());
                ps.setString(3, a.month());
                ps.setLong(4, spent - reserved);
                ps.executeUpdate();
            }
            if (l.perMinute()) {
                try (PreparedStatement ps = c.prepareStatement("UPDATE usage_windows SET tokens = tokens + ? "
                        + "WHERE subject_id = ? AND period = ?")) {
                    ps.setLong(1, spent - a.reservedTokens());
                    setId(ps, 2, s.id());
                    ps.setString(3, a.minute());
                    ps.executeUpdate();
                }
            }
            if (l.concurrentTurns() != null) {
                try (PreparedStatement ps = c.prepareStatement("UPDATE usage_in_flight SET turns = turns - 1 "
                        + "WHERE subject_id = ? AND instance = ? AND turns > 0")) {
                    setId(ps, 1, s.id());
                    ps.setString(2, a.instance());
                    ps.executeUpdate();
                }
            }
        }
    }

    /** Counts the stored reply in its rollups, each by one upsert on its grouping. */
    private static void rollups(Connection c, Message reply) throws SQLException {
        String day = TurnStore.day(reply.createdAt());
        String model = reply.model() == null ? "unknown" : reply.model();
        String reason = reply.finishReason() == null ? "stop" : reply.finishReason();
        java.util.UUID key = reply.keyId() == null ? UNKNOWN_KEY : reply.keyId();
        String month = day.substring(0, 7);
        String year = day.substring(0, 4);
        count(c, reply, "usage_daily", "tenant_id", reply.tenantId(), "day", day, "key_id", key, "model", model,
                "finish_reason", reason);
        count(c, reply, "usage_tenant_daily", "tenant_id", reply.tenantId(), "day", day, "model", model,
                "finish_reason", reason);
        count(c, reply, "usage_key_monthly", "tenant_id", reply.tenantId(), "month", month, "key_id", key, "model",
                model, "finish_reason", reason);
        count(c, reply, "usage_key_only_daily", "tenant_id", reply.tenantId(), "day", day, "key_id", key,
                "finish_reason", reason);
        count(c, reply, "usage_key_only_monthly", "tenant_id", reply.tenantId(), "month", month, "key_id", key,
                "finish_reason", reason);
        count(c, reply, "usage_key_yearly", "tenant_id", reply.tenantId(), "year", year, "key_id", key, "model",
                model, "finish_reason", reason);
        count(c, reply, "usage_key_only_yearly", "tenant_id", reply.tenantId(), "year", year, "key_id", key,
                "finish_reason", reason);
    }

    /** Adds the reply to the row of {@code table} with the given grouping (columns and values, in index order). */
    private static void count(Connection c, Message reply, String table, Object... grouping) throws SQLException {
        StringBuilder columns = new StringBuilder();
        for (int i = 0; i < grouping.length; i += 2) {
            columns.append(i == 0 ? "" : ", ").append(grouping[i]);
        }
        String marks = "?, ".repeat(grouping.length / 2);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (id, " + columns + ", turns, "
                + "tokens_in, tokens_out) VALUES (?, " + marks + "1, ?, ?) ON CONFLICT (" + columns + ") DO UPDATE SET "
                + "turns = " + table + ".turns + 1, tokens_in = " + table + ".tokens_in + excluded.tokens_in, "
                + "tokens_out = " + table + ".tokens_out + excluded.tokens_out")) {
            int index = 1;
            setId(ps, index++, UuidV7.next());
            for (int i = 1; i < grouping.length; i += 2) {
                if (grouping[i] instanceof java.util.UUID id) {
                    setId(ps, index++, id);
                } else {
                    ps.setString(index++, (String) grouping[i]);
                }
            }
            ps.setLong(index++, reply.tokensIn());
            ps.setLong(index, reply.tokensOut());
            ps.executeUpdate();
        }
    }
}
