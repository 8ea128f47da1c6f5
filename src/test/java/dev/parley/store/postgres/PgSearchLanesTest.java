package dev.parley.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import dev.parley.store.StoreOverloadedException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;

/** {@link PgSearchLanes}: how many searches run at once, in which order the others start, and what frees a lane. */
class PgSearchLanesTest {

    /** Searches whose statements end when the test says so; {@code started} names them in the order they began. */
    private final List<String> started = new ArrayList<>();
    private final List<CompletableFuture<String>> statements = new ArrayList<>();

    private Supplier<Uni<String>> search(String name) {
        return () -> {
            started.add(name);
            CompletableFuture<String> statement = new CompletableFuture<>();
            statements.add(statement);
            return Uni.createFrom().completionStage(statement);
        };
    }

    /** Subscribes, keeping the outcome (an item, or the failure's class name). */
    private static Cancellable subscribe(Uni<String> uni, List<String> outcomes) {
        return uni.subscribe().with(outcomes::add, f -> outcomes.add(f.getClass().getSimpleName()));
    }

    @Test
    void atMostTheLanesRunAndTheOthersStartInTheOrderTheyCame() {
        PgSearchLanes lanes = new PgSearchLanes(2, 10);
        List<String> outcomes = new ArrayList<>();
        for (String name : List.of("a", "b", "c", "d", "e")) {
            subscribe(lanes.run(search(name)), outcomes);
        }
        assertThat(started).containsExactly("a", "b");
        assertThat(lanes.running()).isEqualTo(2);
        assertThat(lanes.waiting()).isEqualTo(3);

        statements.get(1).complete("b done");
        assertThat(started).containsExactly("a", "b", "c");
        statements.get(0).complete("a done");
        assertThat(started).containsExactly("a", "b", "c", "d");
        statements.get(2).complete("c done");
        statements.get(3).complete("d done");
        statements.get(4).complete("e done");
        assertThat(started).containsExactly("a", "b", "c", "d", "e");
        assertThat(outcomes).containsExactly("b done", "a done", "c done", "d done", "e done");
        assertThat(lanes.running()).isZero();
        assertThat(lanes.waiting()).isZero();
    }

    @Test
    void aFailedSearchFreesItsLaneAndSoDoesOneThatThrowsBeforeItsStatement() {
        PgSearchLanes lanes = new PgSearchLanes(1, 10);
        List<String> outcomes = new ArrayList<>();
        subscribe(lanes.run(search("a")), outcomes);
        subscribe(lanes.run(() -> {
            throw new IllegalStateException("no statement");
        }), outcomes);
        subscribe(lanes.run(search("c")), outcomes);
        statements.get(0).completeExceptionally(new IllegalArgumentException("server gone"));
        // the lane is handed on before the failure is passed on, so the second failure may come first
        assertThat(outcomes).containsExactlyInAnyOrder("IllegalArgumentException", "IllegalStateException");
        assertThat(started).containsExactly("a", "c");
        statements.get(1).complete("c done");
        assertThat(outcomes).endsWith("c done");
        assertThat(lanes.running()).isZero();
    }

    @Test
    void beyondTheWaitingLimitASearchIsRefusedAsOverloadAndNothingElseChanges() {
        PgSearchLanes lanes = new PgSearchLanes(1, 2);
        List<String> outcomes = new ArrayList<>();
        for (String name : List.of("a", "b", "c", "d")) {
            subscribe(lanes.run(search(name)), outcomes);
        }
        assertThat(outcomes).containsExactly("StoreOverloadedException");
        AtomicReference<Throwable> refused = new AtomicReference<>();
        lanes.run(search("e")).subscribe().with(x -> {
        }, refused::set);
        assertThat(refused.get()).isInstanceOf(StoreOverloadedException.class);
        assertThat(((StoreOverloadedException) refused.get()).retryAfterSeconds()).isEqualTo(1);
        assertThat(started).containsExactly("a");
        assertThat(lanes.waiting()).isEqualTo(2);
        statements.get(0).complete("a done");
        statements.get(1).complete("b done");
        statements.get(2).complete("c done");
        assertThat(outcomes).containsExactly("StoreOverloadedException", "a done", "b done", "c done");
    }

    @Test
    void aSearchCancelledWhileItWaitsNeverStartsAndOneCancelledWhileItRunsKeepsItsLaneUntilItsStatementEnds() {
        PgSearchLanes lanes = new PgSearchLanes(1, 10);
        List<String> outcomes = new ArrayList<>();
        Cancellable a = subscribe(lanes.run(search("a")), outcomes);
        Cancellable b = subscribe(lanes.run(search("b")), outcomes);
        subscribe(lanes.run(search("c")), outcomes);
        b.cancel();
        assertThat(lanes.waiting()).isEqualTo(1);
        a.cancel();
        assertThat(lanes.running()).as("a's statement still runs").isEqualTo(1);
        assertThat(started).containsExactly("a");
        statements.get(0).complete("a done");
        assertThat(started).containsExactly("a", "c");
        statements.get(1).complete("c done");
        assertThat(outcomes).containsExactly("c done");
        assertThat(lanes.running()).isZero();
    }
}
