package dev.parley.store.postgres;

import static dev.parley.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.parley.auth.Tenants;
import dev.parley.store.Conversation;
import dev.parley.store.LimitExceeded;
import dev.parley.store.Limits;
import dev.parley.store.Message;
import dev.parley.store.NoSuchConversationException;
import dev.parley.store.ProcessInstance;
import dev.parley.store.Timestamps;
import dev.parley.store.TurnStore;
import dev.parley.store.TurnStore.Admission;
import dev.parley.store.TurnStore.Subject;
import dev.parley.store.UuidV7;
import dev.parley.testing.PostgresBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Counter leases ({@link PgCounterLeases}): far from its limits a limited turn is admitted against the process's share
 * of the counters, and when the shares come back the shared rows hold exactly what the turns counted, as if each had
 * been admitted and settled by its own statement; near a limit the exact way takes over, and a budget is still kept.
 */
@QuarkusTest
@TestProfile(PostgresBackend.class)
class PgCounterLeasesTest {

    private static final Limits HIGH = new Limits(1_000_000L, 1_000_000_000_000L, 1_000L, 1_000_000_000_000L);
    private static final long RESERVE = 100;

    @Inject
    Tenants tenants;

    @Inject
    TurnStore turns;

    @Inject
    PgCounterLeases leases;

    @Inject
    Pool pool;

    private UUID newTenant() {
        return result(tenants.createTenant("leases-" + UUID.randomUUID(), Tenants.TENANT_SCOPES)).tenant().id();
    }

    /** One turn: a new conversation with the user's message, then a reply that spends {@code spent} tokens. */
    private Admission turn(UUID tenant, List<Subject> subjects, long spent) {
        Instant at = Timestamps.now();
        Admission a = new Admission(at, ProcessInstance.ID, RESERVE, subjects);
        UUID conv = UuidV7.next();
        result(turns.start(new TurnStore.TurnStart(new Conversation(conv, tenant, "Leases", "demo", false, at, at,
                null), List.of(new Message(UuidV7.next(), tenant, conv, Message.Role.USER, "hello", 0, 0, null, at)),
                a)));
        Message reply = new Message(UuidV7.next(), tenant, conv, Message.Role.ASSISTANT, "hi", 0, (int) spent,
                "stop", Timestamps.now(), subjects.get(subjects.size() - 1).id(), "demo");
        assertThat(result(turns.finish(new TurnStore.TurnEnd(reply, a)))).isTrue();
        return a;
    }

    private Row month(UUID subject, Admission a) {
        var rows = result(pool.preparedQuery("SELECT requests, tokens FROM usage_windows WHERE subject_id = $1 "
                + "AND period = $2").execute(Tuple.of(subject, a.month())));
        assertThat(rows.size()).isEqualTo(1);
        return rows.iterator().next();
    }

    private long inFlight(UUID subject, String instance) {
        var rows = result(pool.preparedQuery("SELECT turns FROM usage_in_flight WHERE subject_id = $1 "
                + "AND instance = $2").execute(Tuple.of(subject, instance)));
        return rows.size() == 0 ? 0 : rows.iterator().next().getLong("turns");
    }

    /**
     * {@code n} turns from eight threads, turn i with the subjects {@code subjects} gives it (the tenant first), each
     * spending up to {@code maxSpent} tokens, added to {@code spent}; answers the last one's admission.
     */
    private Admission concurrently(int n, IntFunction<List<Subject>> subjects, long maxSpent, AtomicLong spent)
            throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<Admission>> done = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int turn = i;
                done.add(clients.submit(() -> {
                    List<Subject> its = subjects.apply(turn);
                    long s = ThreadLocalRandom.current().nextLong(1, maxSpent);
                    Admission a = turn(its.get(0).id(), its, s);
                    spent.addAndGet(s);
                    return a;
                }));
            }
            Admission last = null;
            for (Future<Admission> f : done) {
                last = f.get();
            }
            return last;
        } finally {
            clients.shutdown();
        }
    }

    /** Once every share is given back: the subjects' month rows hold the turns and what they spent, none in flight. */
    private void assertExact(List<UUID> subjects, Admission last, long turns, long spent) {
        result(leases.returnAll());
        for (UUID subject : subjects) {
            Row m = month(subject, last);
            assertThat(m.getLong("requests")).as("requests").isEqualTo(turns);
            assertThat(m.getLong("tokens")).as("tokens").isEqualTo(spent);
            assertThat(inFlight(subject, ProcessInstance.ID)).as("own turns in flight").isZero();
            assertThat(inFlight(subject, PgTurnStore.TOTAL)).as("total turns in flight").isZero();
        }
    }

    @Test
    void farFromTheLimitsTurnsAreAdmittedAgainstSharesAndTheRowsComeBackExact() throws Exception {
        UUID tenant = newTenant();
        List<Subject> subjects = List.of(new Subject(tenant, "tenant", HIGH),
                new Subject(UuidV7.next(), "key", HIGH));
        long before = leases.leasedAdmissions();
        AtomicLong spent = new AtomicLong();
        Admission last = concurrently(200, i -> subjects, 2 * RESERVE, spent);
        // most turns never touched a counter row: the first few took the exact way while the first grants came
        assertThat(leases.leasedAdmissions() - before).isGreaterThan(150);
        assertExact(subjects.stream().map(Subject::id).toList(), last, 200, spent.get());
    }

    /**
     * Shares retired while their turns run (limits changed back and forth, everything given back in the middle of the
     * load) still come back exact once the last of their turns ends.
     */
    @Test
    void sharesRetiredWhileTheirTurnsRunComeBackExact() throws Exception {
        UUID tenant = newTenant();
        UUID key = UuidV7.next();
        Limits other = new Limits(2_000_000L, null, 500L, null);
        long before = leases.leasedAdmissions();
        AtomicLong spent = new AtomicLong();
        Admission last = concurrently(240, i -> {
            if (i % 60 == 30) {
                result(leases.returnAll());
            }
            Limits limits = i / 40 % 2 == 0 ? HIGH : other; // the key's limits change every 40 turns
            return List.of(new Subject(tenant, "tenant", HIGH), new Subject(key, "key", limits));
        }, 3 * RESERVE, spent);
        assertThat(leases.leasedAdmissions() - before).as("admitted against shares").isGreaterThan(60);
        assertExact(List.of(tenant, key), last, 240, spent.get());
    }

    @Test
    void nearABudgetTheExactWayTakesOverAndTheBudgetIsKept() {
        UUID tenant = newTenant();
        long budget = 40_000;
        List<Subject> subjects = List.of(new Subject(tenant, "tenant", new Limits(null, null, null, budget)));
        long before = leases.leasedAdmissions();
        long spent = 0;
        Admission last = null;
        int refused = 0;
        for (int i = 0; i < 1_000 && refused == 0; i++) {
            try {
                last = turn(tenant, subjects, RESERVE);
                spent += RESERVE;
            } catch (LimitExceeded e) {
                assertThat(e.kind()).isEqualTo(LimitExceeded.Kind.MONTHLY_TOKEN_BUDGET);
                refused++;
            }
        }
        assertThat(refused).as("the budget ran out").isEqualTo(1);
        assertThat(leases.leasedAdmissions() - before).as("admitted against shares").isGreaterThan(100);
        // one turn at a time, each spending what it reserved: refused only once the budget is spent, to within
        // a share's remainder (less than one reservation), and never over it
        assertThat(spent).isBetween(budget - 2 * RESERVE, budget);
        result(leases.returnAll());
        assertThat(month(tenant, last).getLong("tokens")).isEqualTo(spent);
        assertThat(month(tenant, last).getLong("requests")).isEqualTo(spent / RESERVE);
    }

    @Test
    void aTurnNotStartedCountsForNothingAndChangedLimitsTakeTheExactWay() {
        UUID tenant = newTenant();
        UUID other = newTenant();
        List<Subject> subjects = List.of(new Subject(tenant, "tenant", HIGH));
        // the second turn in a row asks for the grants; the turns after they come are admitted against them
        int stored = 0;
        long before = leases.leasedAdmissions();
        Admission last = null;
        while (leases.leasedAdmissions() == before && stored < 200) {
            last = turn(tenant, subjects, RESERVE);
            stored++;
        }
        assertThat(stored).isBetween(3, 199);
        // into another tenant's conversation: refused by the store, after being admitted against the share
        UUID theirs = UuidV7.next();
        Instant at = Timestamps.now();
        result(turns.start(new TurnStore.TurnStart(new Conversation(theirs, other, "Theirs", "demo", false, at, at,
                null), List.of(new Message(UuidV7.next(), other, theirs, Message.Role.USER, "x", 0, 0, null, at)),
                null)));
        Admission stray = new Admission(at, ProcessInstance.ID, RESERVE, subjects);
        assertThatThrownBy(() -> result(turns.start(new TurnStore.TurnStart(null, List.of(new Message(UuidV7.next(),
                tenant, theirs, Message.Role.USER, "not mine", 0, 0, null, at)), stray))))
                .isInstanceOf(NoSuchConversationException.class);
        assertThat(leases.holds(stray)).isFalse();
        // the limits changed: the share granted under the old ones is not used
        long exact = leases.leasedAdmissions();
        Limits lower = new Limits(1_000_000L, null, null, 10_000_000L);
        turn(tenant, List.of(new Subject(tenant, "tenant", lower)), RESERVE);
        assertThat(leases.leasedAdmissions()).isEqualTo(exact);
        result(leases.returnAll());
        // the turns stored, and the one under the new limits, counted; the stray one counted for nothing
        assertThat(month(tenant, last).getLong("requests")).isEqualTo(stored + 1);
        assertThat(month(tenant, last).getLong("tokens")).isEqualTo((stored + 1) * RESERVE);
        assertThat(inFlight(tenant, PgTurnStore.TOTAL)).isZero();
    }
}
