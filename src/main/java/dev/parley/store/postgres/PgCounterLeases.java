package dev.parley.store.postgres;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.parley.store.Limits;
import dev.parley.store.TurnStore.Admission;
import dev.parley.store.TurnStore.Subject;
import dev.parley.store.UuidV7;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Counter leases ({@code PARLEY_PG_COUNTER_LEASES}, on by default): a process takes a share of what a subject's limit
 * leaves from the shared counter rows in advance, one statement for many turns, and admits its turns against that
 * share in memory, so that a limited turn's first write is the same one statement on the pool as an unlimited turn's
 * and no statement of one tenant queues behind another on its admission connection.
 *
 * <p>What a grant takes is added to the shared rows by a guarded upsert, like an admission: never past the limit, so
 * the replicas together never admit more than the shared counters would. A grant is at most
 * {@value #TURNS_PER_GRANT} turns' worth and at most 1/{@value #SHARE} of what the limit leaves at that moment (of a
 * monthly budget 1/{@value #MONTH_SHARE}), and none is taken when that is under {@value #MIN_TURNS} turns' worth: near
 * a limit, and for small limits, every turn goes the exact way (one statement on the admission connection,
 * {@link PgTurnStore}), which counts the shares other replicas hold as used. So a lease can refuse early (a turn may be
 * refused while other replicas hold unused shares, at most what was granted to them), never late. Grants are asked
 * for only for a subject whose turns come within a second of each other, so a quiet subject takes the exact way.
 *
 * <p>A process's share comes back to the shared rows, replaced by what its turns really spent (requests, tokens
 * settled, turns in flight), when it is no longer used: after {@link #IDLE} without a turn, when its window (month,
 * minute) ends, when the subject's limits change, and at shutdown. A process that dies holding a share leaves it
 * counted: the month's count stays above what was spent by at most that share's unused part (the safe side; at most
 * 1/{@value #MONTH_SHARE} of what the budget left); its turns in flight leave with its heartbeat, as the exact way's
 * do.
 */
@Singleton
public class PgCounterLeases {

    private static final Logger LOG = Logger.getLogger(PgCounterLeases.class);

    /** A grant covers at most this many turns (their requests, their reservations, their places in flight). */
    static final int TURNS_PER_GRANT = 32;
    /** No grant under this many turns' worth: near a limit the exact way is taken. */
    static final int MIN_TURNS = 4;
    /** A grant takes at most this fraction (1/SHARE) of what a per-minute or concurrency limit leaves. */
    static final int SHARE = 8;
    /**
     * A month's grant takes at most this fraction of what the budget leaves: what a process that dies holding a share
     * leaves counted (until the month ends) is at most that.
     */
    static final int MONTH_SHARE = 32;
    /** A subject's shares come back after this long without a turn. */
    static final Duration IDLE = Duration.ofSeconds(5);
    /** A subject that could not get a grant is not asked again for this long. */
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * Grants are asked for a subject only when its turns come this close together: a subject with a turn now and then
     * takes the exact way, one statement a turn, rather than a grant and a give-back around each of its turns.
     */
    private static final long BUSY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final PgAdmissionLanes lanes;
    private final Vertx vertx;
    private final boolean enabled;
    private final Counter byShare;
    private final Counter byStatement;

    // guarded by this
    private final Map<UUID, Leases> bySubject = new HashMap<>();
    private final Map<Admission, List<Draw>> tickets = new IdentityHashMap<>();
    private long timer = -1;

    PgCounterLeases(PgAdmissionLanes lanes, Vertx vertx, PostgresSettings settings, MeterRegistry registry) {
        this.lanes = lanes;
        this.vertx = vertx;
        this.enabled = settings.counterLeases();
        this.byShare = registry.counter("parley_limited_admissions", "way", "share");
        this.byStatement = registry.counter("parley_limited_admissions", "way", "statement");
    }

    /** A subject's shares, granted under one set of its limits. */
    private static final class Leases {
        final UUID tenant;
        final Subject subject;
        Window month;
        Window minute;
        /** The next minute's share, taken in the last seconds of this one, so that no turn waits at the turn. */
        Window nextMinute;
        Slots slots;
        long lastUse;
        final boolean[] pending = new boolean[4];
        final long[] retryAt = new long[4];

        Leases(UUID tenant, Subject subject) {
            this.tenant = tenant;
            this.subject = subject;
        }

        Limits limits() {
            return subject.limits();
        }
    }

    private static final int MONTH = 0;
    private static final int MINUTE = 1;
    private static final int SLOTS = 2;
    private static final int NEXT_MINUTE = 3;
    /** From this second of a minute on, a busy subject gets the next minute's share in advance. */
    private static final int NEXT_MINUTE_FROM_SECOND = 50;

    /**
     * A share of one counter row ({@code usage_windows}: a subject's month or minute): what grants added to the row,
     * and what this process's turns count in it (a request each; their reservations, replaced by their spend when
     * they end). An unbounded part (no limit on it) needs no grant: it is only counted, and added when it comes back.
     */
    private static final class Window {
        final UUID tenant;
        final UUID subject;
        final String period;
        final boolean boundedRequests;
        final boolean boundedTokens;
        long rowRequests;
        long rowTokens;
        long usedRequests;
        long usedTokens;
        int open;
        long lastRequests;
        long lastTokens;
        boolean retired;

        Window(UUID tenant, UUID subject, String period, boolean boundedRequests, boolean boundedTokens) {
            this.tenant = tenant;
            this.subject = subject;
            this.period = period;
            this.boundedRequests = boundedRequests;
            this.boundedTokens = boundedTokens;
        }

        boolean fits(long reserve) {
            return !retired && (!boundedRequests || rowRequests - usedRequests >= 1)
                    && (!boundedTokens || rowTokens - usedTokens >= reserve);
        }

        /** Less than half the last grant left (or less than two turns' worth): time to ask for more. */
        boolean low(long reserve) {
            return (boundedRequests && rowRequests - usedRequests < Math.max(2, lastRequests / 2))
                    || (boundedTokens && rowTokens - usedTokens < Math.max(2 * reserve, lastTokens / 2));
        }
    }

    /** A share of a subject's turns in flight: places added to this process's row and to the subject's total. */
    private static final class Slots {
        final UUID tenant;
        final UUID subject;
        final String instance;
        long granted;
        long inUse;
        long lastGrant;
        boolean retired;

        Slots(UUID tenant, UUID subject, String instance) {
            this.tenant = tenant;
            this.subject = subject;
            this.instance = instance;
        }
    }

    /** What one admitted turn took from one subject's shares. */
    private record Draw(Window month, Window minute, Slots slots, long reserved) {
    }

    /** A grant to ask for, or a share to give back: a statement, run once out of the lock. */
    private interface Work extends Supplier<Uni<Void>> {
    }

    /**
     * Admits a turn against this process's shares of every limited subject's counters, if they hold enough for it
     * (all or none), and asks for the grants that are missing or running low.
     *
     * @return true when admitted here: the turn's start writes no counter; false when the turn must take the exact way
     */
    boolean admit(UUID tenant, Admission a, List<Subject> limited) {
        if (!enabled) {
            byStatement.increment();
            return false;
        }
        long now = System.nanoTime();
        long reserve = a.reservedTokens();
        List<Work> work = new ArrayList<>();
        boolean admitted;
        synchronized (this) {
            boolean fits = true;
            List<Leases> all = new ArrayList<>(limited.size());
            for (Subject s : limited) {
                Leases l = bySubject.get(s.id());
                if (l == null || !l.limits().equals(s.limits())) {
                    if (l != null) {
                        retire(l, work);
                    }
                    l = new Leases(tenant, s);
                    bySubject.put(s.id(), l);
                    startTimer();
                }
                boolean busy = now - l.lastUse < BUSY_NANOS && l.lastUse != 0;
                l.lastUse = now;
                all.add(l);
                Limits lim = s.limits();
                if (l.month != null && l.month.period.compareTo(a.month()) < 0) {
                    retire(l.month, work);
                    l.month = null;
                }
                if (l.month == null && lim.monthlyTokenBudget() == null) {
                    l.month = new Window(tenant, s.id(), a.month(), false, false);
                }
                fits &= check(l, MONTH, l.month, a.month(), reserve, busy, now, work);
                if (lim.perMinute()) {
                    turnMinute(l, a.minute(), work);
                    fits &= check(l, MINUTE, l.minute, a.minute(), reserve, busy, now, work);
                    if (busy && l.nextMinute == null && a.at().getEpochSecond() % 60 >= NEXT_MINUTE_FROM_SECOND
                            && !l.pending[NEXT_MINUTE] && now - l.retryAt[NEXT_MINUTE] >= 0) {
                        l.pending[NEXT_MINUTE] = true;
                        Leases lease = l;
                        work.add(() -> grantWindow(lease, NEXT_MINUTE, minute(a.at().plusSeconds(60)), reserve));
                    }
                }
                if (lim.concurrentTurns() != null) {
                    Slots sl = l.slots;
                    boolean room = sl != null && !sl.retired && sl.granted - sl.inUse >= 1;
                    if (busy && (sl == null || sl.granted - sl.inUse <= Math.max(1, sl.lastGrant / 2))
                            && !l.pending[SLOTS] && now - l.retryAt[SLOTS] >= 0) {
                        l.pending[SLOTS] = true;
                        Leases lease = l;
                        work.add(() -> grantSlots(lease, a.instance()));
                    }
                    fits &= room;
                }
            }
            admitted = fits;
            if (fits) {
                List<Draw> draws = new ArrayList<>(all.size());
                for (Leases l : all) {
                    Window minute = l.limits().perMinute() ? l.minute : null;
                    Slots slots = l.limits().concurrentTurns() != null ? l.slots : null;
                    take(l.month, reserve);
                    take(minute, reserve);
                    if (slots != null) {
                        slots.inUse++;
                    }
                    draws.add(new Draw(l.month, minute, slots, reserve));
                }
                tickets.put(a, draws);
            }
        }
        run(work);
        if (admitted) {
            byShare.increment();
        } else {
            byStatement.increment();
        }
        return admitted;
    }

    /**
     * The minute is {@code minute}: the share of an earlier minute is retired, the next one's taken up if it is this.
     * (A turn stamped just before the minute turned, arriving after one stamped after it, finds a later minute's share
     * and takes the exact way.)
     */
    private void turnMinute(Leases l, String minute, List<Work> work) {
        if (l.minute != null && l.minute.period.compareTo(minute) < 0) {
            retire(l.minute, work);
            l.minute = null;
        }
        if (l.nextMinute != null && l.minute == null && l.nextMinute.period.equals(minute)) {
            l.minute = l.nextMinute;
            l.nextMinute = null;
        } else if (l.nextMinute != null && l.nextMinute.period.compareTo(minute) < 0) {
            retire(l.nextMinute, work);
            l.nextMinute = null;
        }
    }

    static String minute(Instant at) {
        return new Admission(at, "", 0, List.of()).minute();
    }

    /** Whether a window holds the turn; asks for a grant when it is missing or running low (one at a time). */
    private boolean check(Leases l, int kind, Window w, String period, long reserve, boolean busy, long now,
            List<Work> work) {
        if (w != null && !w.period.equals(period)) {
            return false;
        }
        boolean bounded = w == null || w.boundedRequests || w.boundedTokens;
        if (busy && bounded && (w == null || w.low(reserve)) && !l.pending[kind] && now - l.retryAt[kind] >= 0) {
            l.pending[kind] = true;
            work.add(() -> grantWindow(l, kind, period, reserve));
        }
        return w != null && w.fits(reserve);
    }

    private static void take(Window w, long reserve) {
        if (w != null) {
            w.usedRequests++;
            w.usedTokens += reserve;
            w.open++;
        }
    }

    /** Whether the turn was admitted here ({@link #admit}) and not yet settled or released. */
    synchronized boolean holds(Admission a) {
        return tickets.containsKey(a);
    }

    /**
     * A turn ended having spent {@code spent} tokens: if it was admitted here, its reservation is replaced by that.
     *
     * @return whether it was admitted here (else it settles the exact way)
     */
    boolean settle(Admission a, long spent) {
        return end(a, spent, false);
    }

    /** A turn admitted here was not started after all (its first write failed): it counts for nothing. */
    void release(Admission a) {
        end(a, 0, true);
    }

    private boolean end(Admission a, long spent, boolean undo) {
        List<Work> work = new ArrayList<>();
        synchronized (this) {
            List<Draw> draws = tickets.remove(a);
            if (draws == null) {
                return false;
            }
            for (Draw d : draws) {
                for (Window w : new Window[] {d.month(), d.minute()}) {
                    if (w == null) {
                        continue;
                    }
                    w.usedTokens += undo ? -d.reserved() : spent - d.reserved();
                    w.usedRequests -= undo ? 1 : 0;
                    w.open--;
                    if (w.retired && w.open == 0) {
                        work.add(() -> giveBack(w));
                    }
                }
                Slots s = d.slots();
                if (s != null) {
                    s.inUse--;
                    if (s.retired && s.inUse == 0 && s.granted > 0) {
                        work.add(() -> giveBack(s));
                    }
                }
            }
        }
        run(work);
        return true;
    }

    // --- retiring and giving back ---------------------------------------------------------------------------------

    private void retire(Leases l, List<Work> work) {
        retire(l.month, work);
        retire(l.minute, work);
        retire(l.nextMinute, work);
        l.month = null;
        l.minute = null;
        l.nextMinute = null;
        Slots s = l.slots;
        l.slots = null;
        if (s != null && !s.retired) {
            s.retired = true;
            // the places no turn holds go back now, the others as their turns end
            long unused = s.granted - s.inUse;
            if (unused > 0) {
                Slots back = new Slots(s.tenant, s.subject, s.instance);
                back.granted = unused;
                s.granted -= unused;
                work.add(() -> giveBack(back));
            }
        }
    }

    private void retire(Window w, List<Work> work) {
        if (w != null && !w.retired) {
            w.retired = true;
            if (w.open == 0) {
                work.add(() -> giveBack(w));
            }
        }
    }

    /** Once a second: shares of subjects idle for {@link #IDLE}, and of windows that ended, come back. */
    private void tick() {
        long now = System.nanoTime();
        Admission clock = new Admission(Instant.now(), "", 0, List.of());
        List<Work> work = new ArrayList<>();
        synchronized (this) {
            for (var it = bySubject.values().iterator(); it.hasNext();) {
                Leases l = it.next();
                if (now - l.lastUse > IDLE.toNanos()) {
                    retire(l, work);
                    it.remove();
                    continue;
                }
                if (l.month != null && l.month.period.compareTo(clock.month()) < 0) {
                    retire(l.month, work);
                    l.month = null;
                }
                turnMinute(l, clock.minute(), work);
            }
            if (bySubject.isEmpty() && timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }
        run(work);
    }

    private void startTimer() {
        if (timer < 0) {
            timer = vertx.setPeriodic(1000, id -> tick());
        }
    }

    /** At shutdown, after the turns drained: every share comes back. */
    void giveBackAll(@Observes @Priority(5) ShutdownEvent event) {
        returnAll().await().atMost(Duration.ofSeconds(5));
    }

    /** Gives every share back; what turns still running hold comes back as each of them ends. */
    Uni<Void> returnAll() {
        List<Work> work = new ArrayList<>();
        synchronized (this) {
            for (Leases l : bySubject.values()) {
                retire(l, work);
            }
            bySubject.clear();
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }
        List<Uni<Void>> all = new ArrayList<>();
        for (Work w : work) {
            all.add(Uni.createFrom().deferred(w::get));
        }
        return all.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(all).andCollectFailures().replaceWithVoid()
                .onFailure().recoverWithItem((Void) null);
    }

    /** How many turns were admitted against shares (not the exact way), since the start. */
    long leasedAdmissions() {
        return (long) byShare.count();
    }

    private void run(List<Work> work) {
        for (Work w : work) {
            Uni.createFrom().deferred(w::get).subscribe().with(ok -> {
            }, e -> LOG.debugf("counter lease statement failed: %s", e.getClass().getSimpleName()));
        }
    }

    /**
     * Adds $4 requests and $5 tokens to a subject's ($2) window ($3; $1 the id of a new row): a grant (a guard
     * follows) or a share coming back (negative where less was counted than granted).
     */
    private static final String ADD_TO_WINDOW = "INSERT INTO usage_windows (id, subject_id, period, requests, tokens) "
            + "VALUES ($1::uuid, $2::uuid, $3::text, $4::bigint, $5::bigint) ON CONFLICT (subject_id, period) DO UPDATE "
            + "SET requests = usage_windows.requests + excluded.requests, tokens = usage_windows.tokens "
            + "+ excluded.tokens ";

    /** A window's share comes back: the row gets what this process's turns counted in place of what was granted. */
    private Uni<Void> giveBack(Window w) {
        long requests;
        long tokens;
        synchronized (this) {
            requests = w.usedRequests - w.rowRequests;
            tokens = w.usedTokens - w.rowTokens;
            w.rowRequests = w.usedRequests;
            w.rowTokens = w.usedTokens;
        }
        boolean pastMinute = w.period.contains("T") && w.period.compareTo(minute(Instant.now())) < 0;
        if (requests == 0 && tokens == 0 || pastMinute) {
            return Uni.createFrom().voidItem(); // a minute that is over counts for nothing any more
        }
        return lanes.lane(w.tenant).preparedQuery("WITH w AS (" + ADD_TO_WINDOW + "RETURNING 1) SELECT "
                + PgTurnStore.NO_FLUSH_WAIT + ", (SELECT count(*) FROM w)").execute(Tuple.from(List.of(UuidV7.next(), w.subject, w.period,
                        requests, tokens))).replaceWithVoid();
    }

    /** Places in flight come back: from this process's row, and then from the subject's total. */
    private Uni<Void> giveBack(Slots s) {
        long n;
        synchronized (this) {
            n = s.granted;
            s.granted = 0;
        }
        if (n <= 0) {
            return Uni.createFrom().voidItem();
        }
        return lanes.lane(s.tenant).preparedQuery("WITH f AS (UPDATE usage_in_flight SET turns = turns - $3 "
                + "WHERE subject_id = $1::uuid AND instance = $2::text AND turns >= $3 RETURNING subject_id), "
                + "t AS (UPDATE usage_in_flight SET turns = greatest(turns - $3, 0) WHERE subject_id IN (SELECT "
                + "subject_id FROM f) AND instance = '" + PgTurnStore.TOTAL + "' RETURNING 1) SELECT " + PgTurnStore.NO_FLUSH_WAIT
                + ", (SELECT count(*) FROM f), (SELECT count(*) FROM t)")
                .execute(Tuple.of(s.subject, s.instance, n)).replaceWithVoid();
    }

    // --- grants ---------------------------------------------------------------------------------------------------

    /**
     * A grant of a month's or a minute's share: sized from the row as it is now, then added by an upsert guarded by
     * the limits, so a grant that another replica's admissions made too large is simply not taken.
     */
    private Uni<Void> grantWindow(Leases l, int kind, String period, long reserve) {
        Limits lim = l.limits();
        Long requestLimit = kind == MONTH ? null : lim.requestsPerMinute();
        Long tokenLimit = kind == MONTH ? lim.monthlyTokenBudget() : lim.tokensPerMinute();
        UUID subject = l.subject.id();
        return lanes.lane(l.tenant).preparedQuery("SELECT requests, tokens FROM usage_windows WHERE subject_id = $1 "
                + "AND period = $2").execute(Tuple.of(subject, period)).chain(rows -> {
                    long requests = 0;
                    long tokens = 0;
                    if (rows.size() > 0) {
                        Row row = rows.iterator().next();
                        requests = row.getLong("requests");
                        tokens = row.getLong("tokens");
                    }
                    long r = requestLimit == null ? 0
                            : Math.min(TURNS_PER_GRANT, (requestLimit - requests) / SHARE);
                    long t = tokenLimit == null ? 0
                            : Math.min(TURNS_PER_GRANT * reserve, (tokenLimit - tokens) / (kind == MONTH ? MONTH_SHARE
                                    : SHARE));
                    if (requestLimit != null && r < MIN_TURNS || tokenLimit != null && t < MIN_TURNS * reserve) {
                        return Uni.createFrom().item(false); // near the limit: the exact way
                    }
                    return lanes.lane(l.tenant).preparedQuery(ADD_TO_WINDOW + "WHERE ($6::bigint IS NULL OR "
                            + "usage_windows.requests + excluded.requests <= $6) AND ($7::bigint IS NULL OR "
                            + "usage_windows.tokens + excluded.tokens <= $7) RETURNING 1")
                            .execute(Tuple.from(Arrays.asList(UuidV7.next(), subject, period, r, t,
                                    requestLimit, tokenLimit)))
                            .map(granted -> {
                                if (granted.rowCount() == 0) {
                                    return false;
                                }
                                List<Work> work = new ArrayList<>();
                                synchronized (this) {
                                    Window w = kind == MONTH ? l.month
                                            : l.minute != null && l.minute.period.equals(period) ? l.minute
                                                    : l.nextMinute != null && l.nextMinute.period.equals(period)
                                                            ? l.nextMinute : null;
                                    boolean current = bySubject.get(subject) == l;
                                    if (w == null && current && kind == MONTH) {
                                        w = l.month = new Window(l.tenant, subject, period, false, true);
                                    } else if (w == null && current && kind == MINUTE && l.minute == null) {
                                        w = l.minute = new Window(l.tenant, subject, period, requestLimit != null,
                                                tokenLimit != null);
                                    } else if (w == null && current && kind == NEXT_MINUTE && l.nextMinute == null) {
                                        w = l.nextMinute = new Window(l.tenant, subject, period,
                                                requestLimit != null, tokenLimit != null);
                                    } else if (w == null || !w.period.equals(period) || w.retired) {
                                        // the window was replaced meanwhile: this share comes back at once
                                        Window back = new Window(l.tenant, subject, period, true, true);
                                        back.retired = true;
                                        work.add(() -> giveBack(back));
                                        w = back;
                                    }
                                    w.rowRequests += r;
                                    w.rowTokens += t;
                                    w.lastRequests = r;
                                    w.lastTokens = t;
                                }
                                run(work);
                                return true;
                            });
                }).onItemOrFailure().transform((granted, e) -> {
                    done(l, kind, e == null && granted);
                    return null;
                });
    }

    /** A grant of places in flight: this process's row and the subject's total, guarded by the cap. */
    private Uni<Void> grantSlots(Leases l, String instance) {
        long cap = l.limits().concurrentTurns();
        UUID subject = l.subject.id();
        return lanes.lane(l.tenant).preparedQuery("SELECT turns FROM usage_in_flight WHERE subject_id = $1 "
                + "AND instance = '" + PgTurnStore.TOTAL + "'").execute(Tuple.of(subject)).chain(rows -> {
                    long total = rows.size() == 0 ? 0 : rows.iterator().next().getLong("turns");
                    long n = Math.min(TURNS_PER_GRANT, (cap - total) / SHARE);
                    if (n < 2) {
                        return Uni.createFrom().item(false);
                    }
                    return lanes.lane(l.tenant).preparedQuery("WITH f AS (INSERT INTO usage_in_flight (id, "
                            + "subject_id, instance, turns) VALUES ($1::uuid, $3::uuid, $4::text, $5::bigint) ON "
                            + "CONFLICT (subject_id, instance) DO UPDATE SET turns = usage_in_flight.turns + "
                            + "excluded.turns RETURNING 1), t AS (INSERT INTO usage_in_flight (id, subject_id, instance, "
                            + "turns) VALUES ($2::uuid, $3::uuid, '" + PgTurnStore.TOTAL + "', $5::bigint) ON "
                            + "CONFLICT (subject_id, instance) DO UPDATE SET turns = usage_in_flight.turns + "
                            + "excluded.turns WHERE usage_in_flight.turns + excluded.turns <= $6 RETURNING 1) SELECT "
                            + "CASE WHEN (SELECT count(*) FROM f) = 0 THEN parley_refuse('f') WHEN (SELECT count(*) "
                            + "FROM t) = 0 THEN parley_refuse('t') ELSE 0 END")
                            .execute(Tuple.from(List.of(UuidV7.next(), UuidV7.next(), subject, instance, n, cap)))
                            .map(granted -> {
                                List<Work> work = new ArrayList<>();
                                synchronized (this) {
                                    Slots s = l.slots;
                                    if (s == null && bySubject.get(subject) == l) {
                                        s = l.slots = new Slots(l.tenant, subject, instance);
                                    }
                                    if (s == null) { // the subject's shares were given back meanwhile
                                        Slots back = new Slots(l.tenant, subject, instance);
                                        back.granted = n;
                                        work.add(() -> giveBack(back));
                                    } else {
                                        s.granted += n;
                                        s.lastGrant = n;
                                    }
                                }
                                run(work);
                                return true;
                            })
                            .onFailure(PgTurnStore::isRefusal)
                            .recoverWithItem(false);
                }).onItemOrFailure().transform((granted, e) -> {
                    done(l, SLOTS, e == null && granted);
                    return null;
                });
    }

    private synchronized void done(Leases l, int kind, boolean granted) {
        l.pending[kind] = false;
        if (!granted) {
            l.retryAt[kind] = System.nanoTime() + RETRY_NANOS;
        }
    }
}
