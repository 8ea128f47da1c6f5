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

import org.jboss.logging.Logger;

import dev.parley.store.Conversation;
import dev.parley.store.LimitExceeded;
import dev.parley.store.Limits;
import dev.parley.store.Message;
import dev.parley.store.NoSuchConversationException;
import dev.parley.store.TurnStore;
import dev.parley.store.UuidV7;
import io.quarkus.arc.InjectableInstance;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * A turn's two writes, each one statement on the Vert.x reactive pool (the hot path, so plain SQL rather than
 * Hibernate sessions); the second is shared with the turns that finish at the same time ({@link PgReplyBatches}).
 * Every replica shares the counters: the admission's checks are atomic upserts on one row per
 * subject and window, all in one statement, and the month row, which every admission of a subject updates first, holds
 * its row lock to the end of the transaction, so one subject's admissions are serialised across replicas without any
 * table lock. With limits, the turn's first write (its messages and its admission) and its settlement run on the
 * tenant's admission connection ({@link PgAdmissionLanes}): one replica's statements on a subject's counter rows run
 * one after another on one connection instead of waiting inside PostgreSQL for each other's row locks. Far from its
 * limits, a limited turn is admitted against its process's share of the counters ({@link PgCounterLeases}) instead:
 * its first write is then the same statement on the pool as an unlimited turn's, and its settlement is in memory.
 */
@ApplicationScoped
@Typed(PgTurnStore.class)
public class PgTurnStore implements TurnStore {

    private static final Logger LOG = Logger.getLogger(PgTurnStore.class);

    private final InjectableInstance<Pool> pool;
    private final PgAdmissionLanes lanes;
    private final PgCounterLeases leases;
    private final PgReplyBatches replies;

    PgTurnStore(InjectableInstance<Pool> pool, PgAdmissionLanes lanes, PgCounterLeases leases,
            PgReplyBatches replies) {
        this.pool = pool;
        this.lanes = lanes;
        this.leases = leases;
        this.replies = replies;
    }

    static OffsetDateTime at(Instant i) {
        return i == null ? null : i.atOffset(ZoneOffset.UTC);
    }

    /**
     * The turn's messages (with its new conversation, or into the existing one, which must be the tenant's) and, with
     * limits, its admission, in one statement, so one round trip and one implicit transaction: the counter rows the
     * admission locks are held only inside PostgreSQL, for the rest of the statement and its commit. With limits the
     * statement runs on the tenant's admission connection. A refusal raises an error from the statement
     * ({@code parley_refuse}, V13), which rolls back everything it wrote.
     */
    @Override
    public Uni<Void> start(TurnStart start) {
        Admission a = start.admission();
        List<Subject> limited = new ArrayList<>();
        if (a != null) {
            for (Subject s : a.subjects()) {
                if (s.limits().any()) {
                    LimitExceeded zero = zeroLimit(s, a.at());
                    if (zero != null) {
                        return Uni.createFrom().failure(zero);
                    }
                    limited.add(s);
                }
            }
        }
        int expected = start.messages().size();
        List<Object> p = new ArrayList<>();
        StringBuilder sql = conversation(start, p);
        UUID tenant = start.messages().get(0).tenantId();
        boolean leased = !limited.isEmpty() && leases.admit(tenant, a, limited);
        if (limited.isEmpty() || leased) {
            insertMessages(sql.append(" "), p, start.messages());
            Uni<Void> stored = pool.get().preparedQuery(sql.toString()).execute(Tuple.from(p))
                    .chain(rows -> rows.rowCount() == expected ? Uni.createFrom().voidItem()
                            : Uni.createFrom().failure(noConversation(start)));
            return !leased ? stored
                    : stored.onFailure().invoke(() -> leases.release(a)).onCancellation()
                            .invoke(() -> leases.release(a));
        }
        insertMessages(sql.append(", msg AS ("), p, start.messages());
        sql.append(" RETURNING 1)");
        admission(sql, p, a, limited);
        return lanes.lane(tenant).preparedQuery(sql.toString()).execute(Tuple.from(p))
                .replaceWithVoid().onFailure(PgTurnStore::isRefusal)
                .recoverWithUni(e -> refusal(((PgException) e).getDetail(), start, limited));
    }

    private static NoSuchConversationException noConversation(TurnStart start) {
        return new NoSuchConversationException(start.messages().get(0).conversationId());
    }

    /**
     * {@code WITH conv AS (...)}: the new conversation's insert, or the existing one's update to the newest message's
     * time; either returns the conversation only if it is the tenant's, and the messages are inserted per row it
     * returns, so a conversation that is not the tenant's gets none.
     */
    private static StringBuilder conversation(TurnStart start, List<Object> p) {
        List<Message> messages = start.messages();
        Message last = messages.get(messages.size() - 1);
        Conversation conv = start.newConversation();
        StringBuilder sql = new StringBuilder("WITH conv AS (");
        if (conv != null) {
            sql.append("INSERT INTO conversations (id, tenant_id, title, model, archived, created_at, updated_at, ")
                    .append("metadata) VALUES ($").append(param(p, conv.id())).append("::uuid, $")
                    .append(param(p, conv.tenantId())).append("::uuid, $").append(param(p, conv.title()))
                    .append("::text, $").append(param(p, conv.model())).append("::text, $")
                    .append(param(p, conv.archived())).append("::boolean, $").append(param(p, at(conv.createdAt())))
                    .append("::timestamptz, $").append(param(p, at(conv.updatedAt()))).append("::timestamptz, $")
                    .append(param(p, conv.metadata())).append("::text::jsonb) RETURNING id)");
        } else {
            touch(sql, p, last);
        }
        return sql;
    }

    /** The existing conversation's update to the newest message's time, returning it only if it is the tenant's. */
    private static void touch(StringBuilder sql, List<Object> p, Message last) {
        sql.append("UPDATE conversations SET updated_at = GREATEST(updated_at, $")
                .append(param(p, at(last.createdAt()))).append("::timestamptz) WHERE tenant_id = $")
                .append(param(p, last.tenantId())).append("::uuid AND id = $")
                .append(param(p, last.conversationId())).append("::uuid RETURNING id)");
    }

    /** Inserts the messages once per row of the CTE {@code conv}, so none when it returns nothing. */
    private static void insertMessages(StringBuilder sql, List<Object> p, List<Message> messages) {
        sql.append("INSERT INTO messages (id, tenant_id, conversation_id, role, content, tokens_in, tokens_out, ")
                .append("finish_reason, created_at, key_id, model) SELECT m.* FROM (VALUES ");
        for (int i = 0; i < messages.size(); i++) {
            sql.append(i == 0 ? "(" : ", (").append(messageValues(p, messages.get(i))).append(")");
        }
        sql.append(") AS m, conv");
    }

    /** A message's column values, cast, as parameters. */
    private static String messageValues(List<Object> p, Message m) {
        return "$" + param(p, m.id()) + "::uuid, $" + param(p, m.tenantId()) + "::uuid, $"
                + param(p, m.conversationId()) + "::uuid, $" + param(p, m.role().id()) + "::text, $"
                + param(p, m.content()) + "::text, $" + param(p, m.tokensIn()) + "::int, $"
                + param(p, m.tokensOut()) + "::int, $" + param(p, m.finishReason()) + "::text, $"
                + param(p, at(m.createdAt())) + "::timestamptz, $" + param(p, m.keyId()) + "::uuid, $"
                + param(p, m.model()) + "::text";
    }

    /**
     * The reply and its seven rollups in one statement ({@link PgReplyBatches}, which stores the replies of turns
     * that finish together in one statement), so one round trip and one implicit transaction: the reply is stored only
     * if its conversation is still the tenant's and the rollups count only a stored reply. The reservation is settled
     * either way: for subjects with limits first, on the tenant's admission connection (its commit made durable by the
     * reply's); the month counter of a subject without limits (kept so that a budget set in the middle of a month
     * knows the month so far) in the reply's statement.
     */
    @Override
    public Uni<Boolean> finish(TurnEnd end) {
        Message reply = end.reply();
        Admission a = end.admission();
        long spent = (long) reply.tokensIn() + reply.tokensOut();
        List<Subject> limited = a == null ? List.of() : a.subjects().stream().filter(s -> s.limits().any()).toList();
        List<UUID> unlimited = a == null ? List.of()
                : a.subjects().stream().filter(s -> !s.limits().any()).map(Subject::id).toList();
        // runs when subscribed: after the settlement below, where there is one
        Uni<Boolean> store = replies.store(reply, unlimited, a == null ? null : a.month(), spent);
        if (limited.isEmpty()) {
            return store;
        }
        if (leases.settle(a, spent)) {
            return store;
        }
        return settlement(lanes.lane(reply.tenantId()), a, limited, spent).chain(() -> store);
    }

    /**
     * The settlement of subjects with limits, one statement on their admission connection, whose commit does not wait
     * for the WAL flush (the reply's, right after it, does): {@code spent} tokens replace the reservation. A failure is
     * logged and leaves the counters as the admission left them (the reservation stays counted, the safe side) but
     * does not fail the turn: its reply is still stored.
     */
    private Uni<Void> settlement(SqlClient lane, Admission a, List<Subject> limited, long spent) {
        List<Object> p = new ArrayList<>();
        StringBuilder with = new StringBuilder();
        List<String> ctes = settle(with, p, a, limited, spent);
        StringBuilder sql = new StringBuilder("WITH ").append(with.substring(2)).append(" SELECT ")
                .append(NO_FLUSH_WAIT);
        readAll(sql, ctes);
        return lane.preparedQuery(sql.toString()).execute(Tuple.from(p)).replaceWithVoid().onFailure()
                .recoverWithUni(e -> {
                    LOG.warnf("could not settle a turn's counters (%s): its reservation stays counted",
                            e.getClass().getSimpleName());
                    return Uni.createFrom().voidItem();
                });
    }

    /** Reads each data-modifying CTE in the final select, in the given order (the order their rows are locked). */
    private static void readAll(StringBuilder select, List<String> ctes) {
        for (String cte : ctes) {
            select.append(", (SELECT count(*) FROM ").append(cte).append(")");
        }
    }

    // --- admission -----------------------------------------------------------------------------------------------

    /** The {@code usage_in_flight.instance} of a subject's total row, beside one row per process. */
    static final String TOTAL = "*";

    /**
     * Appends the admission's CTEs to the turn's statement, and the final select that reads them all and refuses the
     * turn if one refused. Each counter is an atomic upsert guarded by its limit: the windows (month, then minute) of
     * every limited subject, the tenant's first; then the turns in flight, the process's own row of each subject and
     * last each subject's total (instance {@value #TOTAL}), guarded by its limit. Every statement that locks counter
     * rows takes them in this order, so that an admission and a settlement never wait for each other in a cycle; the
     * order is made explicit by the CASE, which reads the CTEs one after another (a data-modifying CTE no one reads
     * runs at the end of the statement, in an order PostgreSQL does not promise), and the month row, which every
     * admission of a subject updates, serialises them across replicas until the commit.
     */
    private static void admission(StringBuilder sql, List<Object> p, Admission a, List<Subject> limited) {
        StringBuilder verdict = new StringBuilder(" SELECT CASE WHEN (SELECT count(*) FROM msg) = 0 THEN "
                + "parley_refuse('conversation')");
        StringBuilder flights = new StringBuilder();
        StringBuilder flightsVerdict = new StringBuilder();
        StringBuilder totals = new StringBuilder();
        StringBuilder totalsVerdict = new StringBuilder();
        int reserve = param(p, a.reservedTokens());
        int instance = 0; // bound when a subject's turns in flight are counted: an unused parameter has no type
        for (int i = 0; i < limited.size(); i++) {
            Subject s = limited.get(i);
            Limits l = s.limits();
            int subject = param(p, s.id());
            int budget = param(p, l.monthlyTokenBudget());
            sql.append(", m").append(i).append(" AS (").append(UPSERT_WINDOW.formatted(param(p, UuidV7.next()),
                    subject, param(p, a.month()), reserve)).append("WHERE $").append(budget)
                    .append("::bigint IS NULL OR usage_windows.tokens < $").append(budget).append(" RETURNING 1)");
            refuseIfEmpty(verdict, "m" + i);
            if (l.perMinute()) {
                int rpm = param(p, l.requestsPerMinute());
                int tpm = param(p, l.tokensPerMinute());
                sql.append(", n").append(i).append(" AS (").append(UPSERT_WINDOW.formatted(param(p, UuidV7.next()),
                        subject, param(p, a.minute()), reserve)).append("WHERE ($").append(rpm)
                        .append("::bigint IS NULL OR usage_windows.requests < $").append(rpm).append(") AND ($")
                        .append(tpm).append("::bigint IS NULL OR usage_windows.tokens < $").append(tpm)
                        .append(") RETURNING 1)");
                refuseIfEmpty(verdict, "n" + i);
            }
            if (l.concurrentTurns() != null) {
                if (instance == 0) {
                    instance = param(p, a.instance());
                }
                flights.append(", f").append(i).append(" AS (").append(UPSERT_FLIGHT.formatted(
                        param(p, UuidV7.next()), subject, instance)).append("RETURNING 1)");
                refuseIfEmpty(flightsVerdict, "f" + i);
                int cap = param(p, l.concurrentTurns());
                totals.append(", t").append(i).append(" AS (").append(UPSERT_FLIGHT.formatted(
                        param(p, UuidV7.next()), subject, param(p, TOTAL))).append("WHERE usage_in_flight.turns < $")
                        .append(cap).append("::bigint RETURNING 1)");
                refuseIfEmpty(totalsVerdict, "t" + i);
            }
        }
        sql.append(flights).append(totals).append(verdict).append(flightsVerdict).append(totalsVerdict)
                .append(" ELSE 0 END AS refused");
    }

    private static void refuseIfEmpty(StringBuilder verdict, String cte) {
        verdict.append(" WHEN (SELECT count(*) FROM ").append(cte).append(") = 0 THEN parley_refuse('").append(cte)
                .append("')");
    }

    /**
     * Read in a settlement's statement: its transaction commits without waiting for the WAL flush
     * ({@link PgAdmissionLanes}). Set per transaction rather than as a connection's startup setting, which a pooler
     * such as PgBouncer would refuse.
     */
    static final String NO_FLUSH_WAIT = "set_config('synchronous_commit', 'off', true)";

    /** Adds a parameter, answering its number. */
    private static int param(List<Object> params, Object value) {
        params.add(value);
        return params.size();
    }

    /** The month, then the minute window: $1 id, $2 subject, $3 period, $4 reserved tokens; a guard follows. */
    private static final String UPSERT_WINDOW = "INSERT INTO usage_windows (id, subject_id, period, requests, tokens) "
            + "VALUES ($%d::uuid, $%d::uuid, $%d::text, 1, $%d::bigint) ON CONFLICT (subject_id, period) DO UPDATE "
            + "SET requests = usage_windows.requests + 1, tokens = usage_windows.tokens + excluded.tokens ";

    /** A turn more in flight: $1 id, $2 subject, $3 instance (or {@value #TOTAL}); a guard may follow. */
    private static final String UPSERT_FLIGHT = "INSERT INTO usage_in_flight (id, subject_id, instance, turns) "
            + "VALUES ($%d::uuid, $%d::uuid, $%d::text, 1) ON CONFLICT (subject_id, instance) DO UPDATE "
            + "SET turns = usage_in_flight.turns + 1 ";

    /** Parley's refusal, raised by {@code parley_refuse} (V13): the statement wrote nothing. */
    static boolean isRefusal(Throwable e) {
        return e instanceof PgException pg && REFUSED.equals(pg.getSqlState());
    }

    private static final String REFUSED = "PR429";

    /** The refusal the statement named: its conversation is not the tenant's, or the counter that refused. */
    private Uni<Void> refusal(String cte, TurnStart start, List<Subject> limited) {
        if (cte.equals("conversation")) {
            return Uni.createFrom().failure(noConversation(start));
        }
        Admission a = start.admission();
        Subject s = limited.get(Integer.parseInt(cte.substring(1)));
        Limits l = s.limits();
        return switch (cte.charAt(0)) {
            case 'm' -> Uni.createFrom().failure(new LimitExceeded(LimitExceeded.Kind.MONTHLY_TOKEN_BUDGET, s.kind(),
                    l.monthlyTokenBudget(), nextMonth(a.at())));
            case 't' -> Uni.createFrom().failure(new LimitExceeded(LimitExceeded.Kind.CONCURRENT_TURNS, s.kind(),
                    l.concurrentTurns(), a.at().plusSeconds(1)));
            // the minute window refused: by its requests or by its tokens, as its row now tells
            default -> pool.get().preparedQuery("SELECT requests FROM usage_windows WHERE subject_id = $1 "
                    + "AND period = $2").execute(Tuple.of(s.id(), a.minute())).chain(rows -> {
                        long requests = rows.size() == 0 ? 0 : rows.iterator().next().getLong("requests");
                        return Uni.createFrom().failure(l.requestsPerMinute() != null
                                && requests >= l.requestsPerMinute()
                                        ? new LimitExceeded(LimitExceeded.Kind.REQUESTS_PER_MINUTE, s.kind(),
                                                l.requestsPerMinute(), nextMinute(a.at()))
                                        : new LimitExceeded(LimitExceeded.Kind.TOKENS_PER_MINUTE, s.kind(),
                                                l.tokensPerMinute(), nextMinute(a.at())));
                    });
        };
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
     * Appends the settlement of the reservation of {@code subjects}, all with limits (the month counters of subjects
     * without are the reply's statement's, {@link PgReplyBatches}), as CTEs (each starting with a comma): each
     * subject's month window (an upsert: the month may have turned since the admission) and minute window, then the
     * process's own in-flight rows, then the subjects' totals, each decremented only if its own row was (the
     * housekeeping may have taken the row away, and its turns from the total, when this process stopped beating for a
     * while), in the order the admission locks them ({@link #admission}); answers the CTEs to read, in that order.
     */
    private static List<String> settle(StringBuilder with, List<Object> p, Admission a, List<Subject> subjects,
            long spent) {
        List<String> windows = new ArrayList<>();
        List<String> ownRows = new ArrayList<>();
        List<String> totalRows = new ArrayList<>();
        StringBuilder flights = new StringBuilder();
        StringBuilder totals = new StringBuilder();
        int instance = -1;
        for (Subject s : subjects) {
            Limits l = s.limits();
            int subject = param(p, s.id());
            String month = "s" + windows.size();
            windows.add(month);
            with.append(", ").append(month).append(" AS (INSERT INTO usage_windows (id, subject_id, period, ")
                    .append("requests, tokens) VALUES ($").append(param(p, UuidV7.next())).append("::uuid, $")
                    .append(subject).append("::uuid, $").append(param(p, a.month())).append("::text, 0, $")
                    .append(param(p, spent - a.reservedTokens()))
                    .append("::bigint) ON CONFLICT (subject_id, period) DO UPDATE ")
                    .append("SET tokens = usage_windows.tokens + excluded.tokens RETURNING 1)");
            if (l.perMinute()) {
                String minute = "s" + windows.size();
                windows.add(minute);
                with.append(", ").append(minute).append(" AS (UPDATE usage_windows SET tokens = tokens + $")
                        .append(param(p, spent - a.reservedTokens())).append("::bigint WHERE subject_id = $")
                        .append(subject).append("::uuid AND period = $").append(param(p, a.minute()))
                        .append("::text RETURNING 1)");
            }
            if (l.concurrentTurns() != null) {
                if (instance < 0) {
                    instance = param(p, a.instance());
                }
                String flight = "f" + ownRows.size();
                String total = "t" + totalRows.size();
                ownRows.add(flight);
                totalRows.add(total);
                flights.append(", ").append(flight).append(" AS (UPDATE usage_in_flight SET turns = turns - 1 ")
                        .append("WHERE subject_id = $").append(subject).append("::uuid AND instance = $")
                        .append(instance).append("::text AND turns > 0 RETURNING subject_id)");
                totals.append(", ").append(total).append(" AS (UPDATE usage_in_flight SET turns = turns - 1 ")
                        .append("WHERE subject_id IN (SELECT subject_id FROM ").append(flight)
                        .append(") AND instance = $").append(param(p, TOTAL)).append("::text AND turns > 0 RETURNING 1)");
            }
        }
        with.append(flights).append(totals);
        windows.addAll(ownRows);
        windows.addAll(totalRows);
        return windows;
    }
}
