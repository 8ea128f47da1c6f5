package dev.parley.store.postgres;

import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.parley.store.Message;
import dev.parley.store.TurnStore;
import dev.parley.store.UuidV7;
import io.quarkus.arc.InjectableInstance;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Stores finished turns' replies with everything that counts them, the replies of every turn that finished while the
 * previous statement ran in one statement: a group commit. One turn alone is stored at once, as one statement of
 * one reply; under load the turns that finish meanwhile wait for it and then go together, up to {@value #MAX}.
 * Counting is still part of the write it describes: a reply and its rollups commit together or not at all.
 *
 * <p>Why: every turn of a tenant updates the same rollup rows (seven usage rollups and the month counters of its
 * tenant and key). One statement per turn made those rows hot: each turn waited for the previous one's row locks and
 * commit, and each update left a row version behind for the next one to step over. Grouped, a row is updated once
 * per statement, by the sum of its turns.
 *
 * <p>A statement that fails fails no turn by itself: its turns are then stored one per statement, so that only a turn
 * whose own write fails is told so.
 */
@Singleton
class PgReplyBatches {

    private static final Logger LOG = Logger.getLogger(PgReplyBatches.class);

    /** At most this many replies in one statement. */
    static final int MAX = 64;

    /** The usage rollups: table, its group columns (its unique index), and their values from {@code ok}. */
    private record Rollup(String table, String columns, String values) {
    }

    private static final List<Rollup> ROLLUPS = List.of(
            new Rollup("usage_daily", "tenant_id, day, key_id, model, finish_reason",
                    "tenant_id, day, rkey, rmodel, rreason"),
            new Rollup("usage_tenant_daily", "tenant_id, day, model, finish_reason", "tenant_id, day, rmodel, rreason"),
            new Rollup("usage_key_monthly", "tenant_id, month, key_id, model, finish_reason",
                    "tenant_id, month, rkey, rmodel, rreason"),
            new Rollup("usage_key_only_daily", "tenant_id, day, key_id, finish_reason",
                    "tenant_id, day, rkey, rreason"),
            new Rollup("usage_key_only_monthly", "tenant_id, month, key_id, finish_reason",
                    "tenant_id, month, rkey, rreason"),
            new Rollup("usage_key_yearly", "tenant_id, year, key_id, model, finish_reason",
                    "tenant_id, year, rkey, rmodel, rreason"),
            new Rollup("usage_key_only_yearly", "tenant_id, year, key_id, finish_reason",
                    "tenant_id, year, rkey, rreason"));

    /** The reply columns, in parameter order ($1 to $16), with their types. */
    private static final String[][] COLUMNS = { { "id", "uuid" }, { "tenant_id", "uuid" },
        { "conversation_id", "uuid" }, { "role", "text" }, { "content", "text" }, { "tokens_in", "int" },
        { "tokens_out", "int" }, { "finish_reason", "text" }, { "created_at", "timestamptz" }, { "key_id", "uuid" },
        { "model", "text" }, { "rid", "uuid" }, { "day", "text" }, { "rkey", "uuid" }, { "rmodel", "text" },
        { "rreason", "text" } };

    /**
     * One statement for any number of replies (their columns as arrays, so it is prepared once per connection):
     * {@code conv} moves each conversation's time to its newest reply and returns it only if it is the tenant's,
     * {@code msg} inserts the replies of the conversations it returned, {@code ok} is those replies, and the rollups
     * add them up, one row update per group. {@code w} adds the tokens to the month counters of subjects without
     * limits (summed per counter by Parley; counted whether or not the reply was stored, as a limit counts the
     * tokens spent). Rows are locked in one order in every statement (each insert sorted by its key, the CTEs read
     * one after another), so two statements wait for each other rather than deadlock.
     */
    static final String MANY = sql(false);

    /**
     * The same for one reply, its columns as plain parameters and nothing to group: what a turn alone runs, as cheap
     * as a statement written for one reply.
     */
    static final String ONE = sql(true);

    private static String sql(boolean one) {
        StringBuilder sql = new StringBuilder("WITH v AS (SELECT ");
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < COLUMNS.length; i++) {
            String sep = i == 0 ? "" : ", ";
            sql.append(sep).append(one ? "$" + (i + 1) + "::" + COLUMNS[i][1] + " AS " + COLUMNS[i][0]
                    : (i == 0 ? "* FROM unnest(" : "") + "$" + (i + 1) + "::" + COLUMNS[i][1] + "[]");
            names.append(sep).append(COLUMNS[i][0]);
        }
        sql.append(one ? "), " : ") AS v(" + names + ")), ");
        if (one) {
            sql.append("conv AS (UPDATE conversations SET updated_at = GREATEST(updated_at, $9::timestamptz) ")
                    .append("WHERE tenant_id = $2::uuid AND id = $3::uuid RETURNING id, tenant_id), ");
        } else {
            sql.append("conv AS (UPDATE conversations c SET updated_at = GREATEST(c.updated_at, x.at) FROM ")
                    .append("(SELECT tenant_id, conversation_id, max(created_at) AS at FROM v GROUP BY tenant_id, ")
                    .append("conversation_id) x WHERE c.tenant_id = x.tenant_id AND c.id = x.conversation_id ")
                    .append("RETURNING c.id, c.tenant_id), ");
        }
        sql.append("msg AS (INSERT INTO messages (id, tenant_id, conversation_id, role, content, tokens_in, ")
                .append("tokens_out, finish_reason, created_at, key_id, model) SELECT v.id, v.tenant_id, ")
                .append("v.conversation_id, v.role, v.content, v.tokens_in, v.tokens_out, v.finish_reason, ")
                .append("v.created_at, v.key_id, v.model FROM v JOIN conv ON conv.id = v.conversation_id ")
                .append("AND conv.tenant_id = v.tenant_id RETURNING id), ")
                .append("ok AS (SELECT v.*, substr(v.day, 1, 7) AS month, substr(v.day, 1, 4) AS year FROM v ")
                .append("WHERE v.id IN (SELECT id FROM msg))");
        for (int i = 0; i < ROLLUPS.size(); i++) {
            Rollup r = ROLLUPS.get(i);
            sql.append(", r").append(i).append(" AS (INSERT INTO ").append(r.table()).append(" (id, ")
                    .append(r.columns()).append(", turns, tokens_in, tokens_out) SELECT ");
            if (one) {
                sql.append("rid, ").append(r.values()).append(", 1, tokens_in, tokens_out FROM ok");
            } else {
                sql.append("(array_agg(rid))[1], ").append(r.values())
                        .append(", count(*), sum(tokens_in), sum(tokens_out) FROM ok GROUP BY ").append(r.values())
                        .append(" ORDER BY ").append(r.values());
            }
            sql.append(" ON CONFLICT (").append(r.columns()).append(") DO UPDATE SET turns = ").append(r.table())
                    .append(".turns + excluded.turns, tokens_in = ").append(r.table())
                    .append(".tokens_in + excluded.tokens_in, tokens_out = ").append(r.table())
                    .append(".tokens_out + excluded.tokens_out RETURNING 1)");
        }
        sql.append(", w AS (INSERT INTO usage_windows (id, subject_id, period, requests, tokens) SELECT id, ")
                .append("subject_id, period, 0, tokens FROM unnest($17::uuid[], $18::uuid[], $19::text[], ")
                .append("$20::bigint[]) AS w(id, subject_id, period, tokens) ORDER BY subject_id, period ")
                .append("ON CONFLICT (subject_id, period) ")
                .append("DO UPDATE SET tokens = usage_windows.tokens + excluded.tokens RETURNING 1)")
                .append(" SELECT (SELECT array_agg(id) FROM msg) AS stored");
        for (int i = 0; i < ROLLUPS.size(); i++) {
            sql.append(", (SELECT count(*) FROM r").append(i).append(")");
        }
        return sql.append(", (SELECT count(*) FROM w)").toString();
    }

    /** A reply waiting for its statement, with the month counters of its subjects without limits. */
    private record Pending(Message reply, List<UUID> unlimited, String month, long spent,
            UniEmitter<? super Boolean> result) {
    }

    private final InjectableInstance<Pool> pool;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    /** A statement (or the one-by-one retry of a failed one) is running; guarded by {@code this}. */
    private boolean running;
    /** Statements run so far (what the tests read to see that replies went together). */
    private final AtomicLong statements = new AtomicLong();

    PgReplyBatches(InjectableInstance<Pool> pool) {
        this.pool = pool;
    }

    /**
     * Stores the reply and counts it; answers whether it was stored (not if its conversation is gone or not the
     * tenant's). {@code unlimited}: the subjects without limits whose month counter ({@code month}) gets {@code spent}
     * tokens.
     */
    Uni<Boolean> store(Message reply, List<UUID> unlimited, String month, long spent) {
        return Uni.createFrom().emitter(result -> {
            List<Pending> batch;
            synchronized (this) {
                waiting.add(new Pending(reply, unlimited, month, spent, result));
                if (running) {
                    return;
                }
                running = true;
                batch = take();
            }
            run(batch);
        });
    }

    long statements() {
        return statements.get();
    }

    /** The next statement's replies, oldest first; the caller holds the lock. */
    private List<Pending> take() {
        List<Pending> batch = new ArrayList<>(Math.min(waiting.size(), MAX));
        while (!waiting.isEmpty() && batch.size() < MAX) {
            batch.add(waiting.poll());
        }
        return batch;
    }

    private void run(List<Pending> batch) {
        if (batch.size() == 1) {
            alone(batch.get(0), this::next);
            return;
        }
        execute(batch).subscribe().with(stored -> {
            try {
                answer(batch, stored);
            } finally {
                next();
            }
        }, failure -> {
            // a reply of the statement may be what failed it: each by itself, so that only such a reply fails
            AtomicInteger left = new AtomicInteger(batch.size());
            for (Pending p : batch) {
                alone(p, () -> {
                    if (left.decrementAndGet() == 0) {
                        next();
                    }
                });
            }
        });
    }

    /** Stores one reply in a statement of its own and answers its turn, then runs {@code then}. */
    private void alone(Pending p, Runnable then) {
        execute(List.of(p)).subscribe().with(stored -> {
            try {
                answer(List.of(p), stored);
            } finally {
                then.run();
            }
        }, failure -> {
            try {
                tell(p, null, failure);
            } finally {
                then.run();
            }
        });
    }

    private static void answer(List<Pending> batch, Set<UUID> stored) {
        for (Pending p : batch) {
            tell(p, stored.contains(p.reply().id()), null);
        }
    }

    /** Answers one turn; what its continuation throws stays with it and does not stop the others' answers. */
    private static void tell(Pending p, Boolean stored, Throwable failure) {
        try {
            if (failure == null) {
                p.result().complete(stored);
            } else {
                p.result().fail(failure);
            }
        } catch (RuntimeException e) {
            LOG.errorf("a finished turn's continuation failed: %s", e.toString());
        }
    }

    private void next() {
        List<Pending> batch;
        synchronized (this) {
            if (waiting.isEmpty()) {
                running = false;
                return;
            }
            batch = take();
        }
        run(batch);
    }

    /** Runs the statement for these replies; answers the ids of those stored. */
    private Uni<Set<UUID>> execute(List<Pending> batch) {
        return Uni.createFrom().deferred(() -> {
            statements.incrementAndGet();
            return pool.get().preparedQuery(batch.size() == 1 ? ONE : MANY).execute(params(batch));
        }).map(rows -> {
            Row row = rows.iterator().next();
            UUID[] stored = row.getArrayOfUUIDs("stored");
            return stored == null ? Set.of() : Set.of(stored);
        });
    }

    /** The statement's parameters: the replies' columns, then the month counters, as arrays. */
    private static Tuple params(List<Pending> batch) {
        int n = batch.size();
        UUID[] id = new UUID[n];
        UUID[] tenant = new UUID[n];
        UUID[] conversation = new UUID[n];
        String[] role = new String[n];
        String[] content = new String[n];
        Integer[] tokensIn = new Integer[n];
        Integer[] tokensOut = new Integer[n];
        String[] finishReason = new String[n];
        OffsetDateTime[] createdAt = new OffsetDateTime[n];
        UUID[] key = new UUID[n];
        String[] model = new String[n];
        UUID[] rollupId = new UUID[n];
        String[] day = new String[n];
        UUID[] rollupKey = new UUID[n];
        String[] rollupModel = new String[n];
        String[] rollupReason = new String[n];
        // the month counters, one per subject and month, in the order they are locked
        Map<UUID, Map<String, Long>> months = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            Pending p = batch.get(i);
            Message m = p.reply();
            id[i] = m.id();
            tenant[i] = m.tenantId();
            conversation[i] = m.conversationId();
            role[i] = m.role().id();
            content[i] = m.content();
            tokensIn[i] = m.tokensIn();
            tokensOut[i] = m.tokensOut();
            finishReason[i] = m.finishReason();
            createdAt[i] = PgTurnStore.at(m.createdAt());
            key[i] = m.keyId();
            model[i] = m.model();
            rollupId[i] = UuidV7.next();
            day[i] = TurnStore.day(m.createdAt());
            rollupKey[i] = m.keyId() == null ? TurnStore.UNKNOWN_KEY : m.keyId();
            rollupModel[i] = m.model() == null ? "unknown" : m.model();
            rollupReason[i] = m.finishReason() == null ? "stop" : m.finishReason();
            for (UUID subject : p.unlimited()) {
                months.computeIfAbsent(subject, s -> new TreeMap<>()).merge(p.month(), p.spent(), Long::sum);
            }
        }
        List<UUID> windowId = new ArrayList<>();
        List<UUID> subject = new ArrayList<>();
        List<String> period = new ArrayList<>();
        List<Long> tokens = new ArrayList<>();
        months.forEach((s, byMonth) -> byMonth.forEach((month, sum) -> {
            windowId.add(UuidV7.next());
            subject.add(s);
            period.add(month);
            tokens.add(sum);
        }));
        List<Object> params = new ArrayList<>(List.<Object> of(id, tenant, conversation, role, content, tokensIn,
                tokensOut, finishReason, createdAt, key, model, rollupId, day, rollupKey, rollupModel, rollupReason));
        if (n == 1) {
            params.replaceAll(column -> ((Object[]) column)[0]); // ONE takes the reply's values themselves
        }
        params.addAll(List.of(windowId.toArray(UUID[]::new), subject.toArray(UUID[]::new),
                period.toArray(String[]::new), tokens.toArray(Long[]::new)));
        return Tuple.from(params);
    }
}
