package dev.parley.chat;

import static dev.parley.testing.Collected.collected;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.helpers.test.UniAssertSubscriber;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.smallrye.mutiny.subscription.UniSubscriber;
import io.smallrye.mutiny.subscription.UniSubscription;

/**
 * {@link ChatTurns#detached}: the turn's Uni gives the same outcome, and once it has its item, what its steps held is
 * no longer reachable from the subscription that a streamed response keeps until the stream ends.
 */
class DetachedTurnTest {

    @Test
    void passesTheItemAndTheFailure() {
        UniAssertSubscriber<String> item = ChatTurns.detached(Uni.createFrom().item("turn"))
                .subscribe().withSubscriber(UniAssertSubscriber.create());
        item.assertItem("turn");

        IllegalStateException refused = new IllegalStateException("limit reached");
        UniAssertSubscriber<String> failure = ChatTurns.detached(Uni.createFrom().<String> failure(refused))
                .subscribe().withSubscriber(UniAssertSubscriber.create());
        failure.assertFailedWith(IllegalStateException.class, "limit reached");
    }

    @Test
    void aCancelBeforeTheItemCancelsTheSteps() {
        AtomicReference<UniEmitter<? super String>> pending = new AtomicReference<>();
        AtomicBoolean cancelled = new AtomicBoolean();
        Uni<String> steps = Uni.createFrom().<String> emitter(pending::set).onCancellation().invoke(() -> cancelled
                .set(true));

        UniAssertSubscriber<String> client = ChatTurns.detached(steps).subscribe()
                .withSubscriber(UniAssertSubscriber.create());
        assertThat(pending.get()).isNotNull();
        client.cancel();

        assertThat(cancelled).isTrue();
        pending.get().complete("too late");
        client.assertNotTerminated();
    }

    @Test
    void theStepsStateIsLetGoOnceTheItemIsThere() throws InterruptedException {
        // without it (the control), the kept subscription still reaches the history a step read
        Held plain = runKeepingTheSubscription(false);
        assertThat(plain.item()).isEqualTo(1 + 4096);
        assertThat(collected(plain.history())).as("the control: a plain Uni keeps its steps").isFalse();
        plain.keep().clear();

        Held detached = runKeepingTheSubscription(true);
        assertThat(detached.item()).isEqualTo(1 + 4096);
        assertThat(collected(detached.history())).isTrue();
        assertThat(detached.keep()).hasSize(1); // the subscription is still held, as a streamed response holds it
    }

    private record Held(WeakReference<byte[]> history, List<UniSubscription> keep, Integer item) {
    }

    /** Steps like a turn's: a later step's function captures what an earlier one read. */
    private static Held runKeepingTheSubscription(boolean detach) {
        AtomicReference<WeakReference<byte[]>> history = new AtomicReference<>();
        Uni<Integer> steps = Uni.createFrom().item(1).chain(n -> {
            byte[] read = new byte[4096];
            history.set(new WeakReference<>(read));
            return Uni.createFrom().item(n).map(m -> m + read.length);
        });
        List<UniSubscription> keep = new ArrayList<>();
        AtomicReference<Integer> item = new AtomicReference<>();
        (detach ? ChatTurns.detached(steps) : steps).subscribe().withSubscriber(new UniSubscriber<Integer>() {
            @Override
            public void onSubscribe(UniSubscription subscription) {
                keep.add(subscription);
            }

            @Override
            public void onItem(Integer value) {
                item.set(value);
            }

            @Override
            public void onFailure(Throwable failure) {
                throw new AssertionError(failure);
            }
        });
        return new Held(history.get(), keep, item.get());
    }
}
