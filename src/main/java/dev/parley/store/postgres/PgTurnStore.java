package dev.parley.store.postgres;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.Conversation;
import dev.parley.store.LimitExceeded;
import dev.parley.store.Limits;
import dev.parley.store.Message;
import dev.parley.store.NoSuchConversationException;
import dev.parley.store.TurnStore;
import dev.parley.store.UuidV7;
import io.quarkus.arc.InjectableInstance;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * A turn's two writes, each one transaction on the Vert.x reactive pool (the hot path, so plain SQL rather than
 * Hibernate sessions). Every replica shares the counters: the admission's checks are atomic upserts on one row per
 * subject and window, all in one statement, and the month row, which every admission of a subject updates first, holds
 * its row lock to the end of the transaction, so one subject's admissions are serialised across replicas without any
 * table lock. The admission is the transaction's last step, so that lock is held only for the admission (one or two
 * statements) and the commit; the settlement is one statement, the last of the reply's transaction.
 */
@ApplicationScoped
@Typed(PgTurnStore.class)
public class PgTurnStore implements TurnStore {

    private final InjectableInstance<Pool> pool;

    PgTurnStore(InjectableInstance<Pool> pool) {
        this.pool = pool;
    }

    static OffsetDateTime at(Instant i) {
        return i == null ? null : i.atOffset(ZoneOffset.UTC);
    }

    @Override
    public Uni<Void> start(TurnStart start) {
        // the messages first, the admission last: the admission locks the subjects' month rows until the commit, so
        // it comes right before it, and one subject's concurrent turns wait for each other only that long; refused,
        // the whole transaction rolls back and nothing is stored
        return pool.get().withTransaction(c -> {
            Uni<Void> stored = start.newConversation() != null
                    ? insertConversation(c, start.newConversation()).chain(() -> insertMessages(c, start.messages()))
                    : append(c, start.messages());
            return start.admission() == null ? stored : stored.chain(() -> admit(c, start.admission()));
        });
    }

    @Override
    public Uni<Boolean> finish(TurnEnd end) {
        Message reply = end.reply();
        return pool.get().withTransaction(c -> append(c, List.of(reply))
                .chain(() -> rollups(c, reply))
                .replaceWith(true)
                .onFailure(NoSuchConversationException.class).recoverWithItem(false)
                .call(() -> end.admission() == null ? Uni.createFrom().voidItem()
                        : settle(c, end.admission(), (long) reply.tokensIn() + reply.tokensOut())));
    }

    // --- messages ------------------------------------------------------------------------------------------------

    private static Uni<Void> insertConversation(SqlConnection c, Conversation conv) {
        return c.preparedQuery("INSERT INTO conversations (id, tenant_id, title, model, archived, created_at, "
                + "updated_at, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)")
                .execute(Tuple.from(java.util.Arrays.asList(conv.id(), conv.tenantId(), conv.title(), conv.model(),
                        conv.archived(), at(conv.createdAt()), at(conv.updatedAt()), conv.metadata())))
                .replaceWithVoid();
    }

    private static Uni<Void> insertMessages(SqlConnection c, List<Message> messages) {
        List<Tuple> rows = new ArrayList<>(messages.size());
        for (Message m : messages) {
            rows.add(Tuple.from(java.util.Arrays.asList(m.id(), m.tenantId(), m.conversationId(), m.role().id(),
                    m.content(), m.tokensIn(), m.tokensOut(), m.finishReason(), at(m.createdAt()), m.keyId(),
                    m.model())));
        }
        return c.preparedQuery("INSERT INTO messages (id, tenant_id, conversation_id, role, content, tokens_in, "
                + "tokens_out, finish_reason, created_at, key_id, model) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                + "$10, $11)").executeBatch(rows).replaceWithVoid();
    }

    /** Into an existing conversation of the tenant, which becomes active at the newest message's time. */
    private static Uni<Void> append(SqlConnection c, List<Message> messages) {
        Message last = messages.get(messages.size() - 1);
        return c.preparedQuery("UPDATE conversations SET updated_at = GREATEST(updated_at, $1) WHERE tenant_id = $2 "
                + "AND id = $3").execute(Tuple.of(at(last.createdAt()), last.tenantId(), last.conversationId()))
                .chain(rows -> rows.rowCount() == 0
                        ? Uni.createFrom().failure(new NoSuchConversationException(last.conversationId()))
                        : insertMessages(c, messages));
    }

    // --- admission -----------------------------------------------------------------------------------------------

    /**
     * Admits a turn in one statement for every limited subject (data-modifying CTEs: the month, minute and in-flight
     * upserts, each guarded by its limit), plus, when a subject limits concurrent turns, one query that sums its
     * live in-flight rows. The month upsert takes the subject's month row lock first, and the sum is a later
     * statement, so it sees every admission of that subject that held the lock before: one subject's admissions are
     * serialised across replicas for one or two statements and the commit.
     */
    private static Uni<Void> admit(SqlConnection c, Admission a) {
        List<Subject> limited = new ArrayList<>();
        for (Subject s : a.subjects()) {
            if (s.limits().any()) {
                LimitExceeded zero = zeroLimit(s, a.at());
                if (zero != null) {
                    return Uni.createFrom().failure(zero);
                }
                limited.add(s);
            }
        }
        if (limited.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Statement upserts = upserts(a, limited);
        return c.preparedQuery(upserts.sql()).execute(upserts.params()).chain(rows -> {
            Row row = rows.iterator().next();
            for (int i = 0; i < limited.size(); i++) {
                Subject s = limited.get(i);
                if (row.getLong("m" + i) == 0) {
                    return Uni.createFrom().failure(new LimitExceeded(LimitExceeded.Kind.MONTHLY_TOKEN_BUDGET,
                            s.kind(), s.limits().monthlyTokenBudget(), nextMonth(a.at())));
                }
                if (s.limits().perMinute() && row.getLong("n" + i) == 0) {
                    return minuteRefusal(c, s, a);
                }
            }
            return inFlight(c, a, limited);
        });
    }

    /** SQL and its parameters. */
    private record Statement(String sql, Tuple params) {
    }

    private static Statement upserts(Admission a, List<Subject> limited) {
        StringBuilder with = new StringBuilder("WITH ");
        StringBuilder select = new StringBuilder(" SELECT ");
        List<Object> p = new ArrayList<>();
        for (int i = 0; i < limited.size(); i++) {
            Subject s = limited.get(i);
            Limits l = s.limits();
            int subject = param(p, s.id());
            int reserve = param(p, a.reservedTokens());
            with.append(i == 0 ? "" : ", ").append("m").append(i).append(" AS (").append(UPSERT_WINDOW.formatted(
                    param(p, UuidV7.next()), subject, param(p, a.month()), reserve))
                    .append("WHERE $").append(param(p, l.monthlyTokenBudget())).append("::bigint IS NULL OR ")
                    .append("usage_windows.tokens < $").append(p.size()).append(" RETURNING 1)");
            select.append(i == 0 ? "" : ", ").append("(SELECT count(*) FROM m").append(i).append(") AS m").append(i);
            if (l.perMinute()) {
                int rpm = param(p, l.requestsPerMinute());
                int tpm = param(p, l.tokensPerMinute());
                with.append(", n").append(i).append(" AS (").append(UPSERT_WINDOW.formatted(param(p, UuidV7.next()),
                        subject, param(p, a.minute()), reserve)).append("WHERE ($").append(rpm)
                        .append("::bigint IS NULL OR usage_windows.requests < $").append(rpm).append(") AND ($")
                        .append(tpm).append("::bigint IS NULL OR usage_windows.tokens < $").append(tpm)
                        .append(") RETURNING 1)");
                select.append(", (SELECT count(*) FROM n").append(i).append(") AS n").append(i);
            }
            if (l.concurrentTurns() != null) {
                with.append(", f").append(i).append(" AS (INSERT INTO usage_in_flight (id, subject_id, instance, ")
                        .append("turns) VALUES ($").append(param(p, UuidV7.next())).append(", $").append(subject)
                        .append(", $").append(param(p, a.instance())).append(", 1) ON CONFLICT (subject_id, ")
                        .append("instance) DO UPDATE SET turns = usage_in_flight.turns + 1 RETURNING 1)");
            }
        }
        return new Statement(with.append(select).toString(), Tuple.from(p));
    }

    /** Adds a parameter, answering its number. */
    private static int param(List<Object> params, Object value) {
        params.add(value);
        return params.size();
    }

    /** The month, then the minute window: $1 id, $2 subject, $3 period, $4 reserved tokens; a guard follows. */
    private static final String UPSERT_WINDOW = "INSERT INTO usage_windows (id, subject_id, period, requests, tokens) "
            + "VALUES ($%d, $%d, $%d, 1, $%d) ON CONFLICT (subject_id, period) DO UPDATE SET "
            + "requests = usage_windows.requests + 1, tokens = usage_windows.tokens + excluded.tokens ";

    /** The concurrent turns of the subjects that limit them: their live in-flight rows, this admission's included. */
    private static Uni<Void> inFlight(SqlConnection c, Admission a, List<Subject> limited) {
        List<Subject> counted = limited.stream().filter(s -> s.limits().concurrentTurns() != null).toList();
        if (counted.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        UUID[] ids = counted.stream().map(Subject::id).toArray(UUID[]::new);
        return c.preparedQuery("SELECT f.subject_id, sum(f.turns) AS n FROM usage_in_flight f LEFT JOIN heartbeats h "
                + "ON h.instance = f.instance WHERE f.subject_id = ANY($1) AND (f.instance = $2 OR h.beat_at >= $3) "
                + "GROUP BY f.subject_id").execute(Tuple.of(ids, a.instance(), at(a.at().minus(ALIVE))))
                .chain(rows -> {
                    for (Row row : rows) {
                        Subject s = counted.stream().filter(x -> x.id().equals(row.getUUID("subject_id")))
                                .findFirst().orElseThrow();
                        if (row.getLong("n") > s.limits().concurrentTurns()) {
                            return Uni.createFrom().failure(new LimitExceeded(LimitExceeded.Kind.CONCURRENT_TURNS,
                                    s.kind(), s.limits().concurrentTurns(), a.at().plusSeconds(1)));
                        }
                    }
                    return Uni.createFrom().voidItem();
                });
    }

    private static Uni<Void> minuteRefusal(SqlConnection c, Subject s, Admission a) {
        Limits l = s.limits();
        return c.preparedQuery("SELECT requests FROM usage_windows WHERE subject_id = $1 AND period = $2")
                .execute(Tuple.of(s.id(), a.minute())).chain(rows -> {
                    long requests = rows.size() == 0 ? 0 : rows.iterator().next().getLong("requests");
                    return Uni.createFrom().failure(l.requestsPerMinute() != null && requests >= l.requestsPerMinute()
                            ? new LimitExceeded(LimitExceeded.Kind.REQUESTS_PER_MINUTE, s.kind(),
                                    l.requestsPerMinute(), nextMinute(a.at()))
                            : new LimitExceeded(LimitExceeded.Kind.TOKENS_PER_MINUTE, s.kind(), l.tokensPerMinute(),
                                    nextMinute(a.at())));
                });
    }

    /** A limit of zero refuses every turn, also the first of a window (which the upserts would let in). */
    private static LimitExceeded zeroLimit(Subject s, Instant at) {
        Limits l = s.limits();
        if (l.monthlyTokenBudget() != null && l.monthlyTokenBudget() <= 0) {
            return new LimitExceeded(LimitExceeded.Kind.MONTHLY_TOKEN_BUDGET, s.kind(), 0, nextMonth(at));
        }
        if (l.requestsPerMinute() != null && l.requestsPerMinute() <= 0) {
            return new LimitExceeded(LimitExceeded.Kind.REQUESTS_PER_MINUTE, s.kind(), 0, nextMinute(at));
        }
        if (l.tokensPerMinute() != null && l.tokensPerMinute() <= 0) {
            return new LimitExceeded(LimitExceeded.Kind.TOKENS_PER_MINUTE, s.kind(), 0, nextMinute(at));
        }
        if (l.concurrentTurns() != null && l.concurrentTurns() <= 0) {
            return new LimitExceeded(LimitExceeded.Kind.CONCURRENT_TURNS, s.kind(), 0, at.plusSeconds(1));
        }
        return null;
    }

    static Instant nextMinute(Instant at) {
        return at.truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
    }

    static Instant nextMonth(Instant at) {
        return at.atZone(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1).plusMonths(1).atStartOfDay(ZoneOffset.UTC)
                .toInstant();
    }

    // --- settlement ----------------------------------------------------------------------------------------------

    /**
     * Settles the reservation to the real count in one statement: each subject's month window (an upsert: the month
     * may have turned since the admission), its minute window and its in-flight row.
     */
    private static Uni<Void> settle(SqlConnection c, Admission a, long spent) {
        StringBuilder with = new StringBuilder("WITH ");
        List<Object> p = new ArrayList<>();
        int part = 0;
        for (Subject s : a.subjects()) {
            Limits l = s.limits();
            long reserved = l.any() ? a.reservedTokens() : 0;
            int subject = param(p, s.id());
            with.append(part == 0 ? "" : ", ").append("s").append(part++).append(" AS (INSERT INTO usage_windows (id, ")
                    .append("subject_id, period, requests, tokens) VALUES ($").append(param(p, UuidV7.next()))
                    .append(", $").append(subject).append(", $").append(param(p, a.month())).append(", 0, $")
                    .append(param(p, spent - reserved)).append(") ON CONFLICT (subject_id, period) DO UPDATE SET ")
                    .append("tokens = usage_windows.tokens + excluded.tokens RETURNING 1)");
            if (l.perMinute()) {
                with.append(", s").append(part++).append(" AS (UPDATE usage_windows SET tokens = tokens + $")
                        .append(param(p, spent - a.reservedTokens())).append(" WHERE subject_id = $").append(subject)
                        .append(" AND period = $").append(param(p, a.minute())).append(" RETURNING 1)");
            }
            if (l.concurrentTurns() != null) {
                with.append(", s").append(part++).append(" AS (UPDATE usage_in_flight SET turns = turns - 1 ")
                        .append("WHERE subject_id = $").append(subject).append(" AND instance = $")
                        .append(param(p, a.instance())).append(" AND turns > 0 RETURNING 1)");
            }
        }
        if (part == 0) {
            return Uni.createFrom().voidItem();
        }
        return c.preparedQuery(with.append(" SELECT 1").toString()).execute(Tuple.from(p)).replaceWithVoid();
    }

    /** One upsert of a rollup row: {@code %1$s} the table, {@code %2$s} its grouping columns, {@code %3$s} values. */
    private static final String COUNT = "INSERT INTO %1$s (id, %2$s, turns, tokens_in, tokens_out) VALUES (%3$s, 1, "
            + "$7, $8) ON CONFLICT (%2$s) DO UPDATE SET turns = %1$s.turns + 1, "
            + "tokens_in = %1$s.tokens_in + excluded.tokens_in, tokens_out = %1$s.tokens_out + excluded.tokens_out";

    /**
     * Counts the stored reply in its five rollups in one statement (data-modifying CTEs), one round trip:
     * $1 tenant, $2 key, $3 model, $4 day, $5 month, $6 finish reason, $7 tokens in, $8 tokens out, $9-$13 ids.
     */
    private static final String ROLLUPS = "WITH daily AS ("
            + COUNT.formatted("usage_daily", "tenant_id, day, key_id, model, finish_reason", "$9, $1, $4, $2, $3, $6")
            + "), tenant_daily AS ("
            + COUNT.formatted("usage_tenant_daily", "tenant_id, day, model, finish_reason", "$10, $1, $4, $3, $6")
            + "), key_monthly AS ("
            + COUNT.formatted("usage_key_monthly", "tenant_id, month, key_id, model, finish_reason",
                    "$11, $1, $5, $2, $3, $6")
            + "), key_only_daily AS ("
            + COUNT.formatted("usage_key_only_daily", "tenant_id, day, key_id, finish_reason", "$12, $1, $4, $2, $6")
            + ") " + COUNT.formatted("usage_key_only_monthly", "tenant_id, month, key_id, finish_reason",
                    "$13, $1, $5, $2, $6");

    private static Uni<Void> rollups(SqlConnection c, Message reply) {
        String day = TurnStore.day(reply.createdAt());
        String model = reply.model() == null ? "unknown" : reply.model();
        String reason = reply.finishReason() == null ? "stop" : reply.finishReason();
        UUID key = reply.keyId() == null ? UNKNOWN_KEY : reply.keyId();
        return c.preparedQuery(ROLLUPS).execute(Tuple.from(List.of(reply.tenantId(), key, model, day,
                day.substring(0, 7), reason, (long) reply.tokensIn(), (long) reply.tokensOut(), UuidV7.next(),
                UuidV7.next(), UuidV7.next(), UuidV7.next(), UuidV7.next()))).replaceWithVoid();
    }
}
