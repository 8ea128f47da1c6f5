package dev.parley.provider;

import static dev.parley.testing.Collected.collected;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.smallrye.mutiny.subscription.MultiEmitter;

/**
 * {@link Providers#attempt}: a provider that fails before its first text hands the request to the next; after the
 * first text there is no other attempt, and the request (the whole prompt) is let go.
 */
class FailoverTest {

    /** A provider whose streams stay open for the test to drive; it keeps no request. */
    private static final class Scripted implements ChatProvider {
        final String name;
        final List<MultiEmitter<? super ProviderChunk>> streams = new CopyOnWriteArrayList<>();
        final List<Integer> promptSizes = new CopyOnWriteArrayList<>();

        Scripted(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean serves(String model) {
            return true;
        }

        @Override
        public Set<String> models() {
            return Set.of("m");
        }

        @Override
        public Multi<ProviderChunk> stream(ProviderRequest request) {
            promptSizes.add(request.messages().size());
            return Multi.createFrom().emitter(streams::add);
        }
    }

    private final Scripted first = new Scripted("first");
    private final Scripted second = new Scripted("second");

    /** The turn's stream over the two providers, first one first, taken as it comes. */
    private AssertSubscriber<ProviderChunk> run(ProviderRequest request) {
        return Providers.attempt(List.of(first, second), 0, request).subscribe()
                .withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
    }

    private static ProviderRequest prompt(int messages) {
        List<PromptMessage> list = new ArrayList<>();
        for (int i = 0; i < messages; i++) {
            list.add(new PromptMessage(i % 2 == 0 ? "user" : "assistant", "message " + i));
        }
        return new ProviderRequest("m", list);
    }

    @Test
    void aFailureBeforeTheFirstTextGoesToTheNextProvider() {
        AssertSubscriber<ProviderChunk> turn = run(prompt(3));

        first.streams.get(0).fail(new UpstreamException("first", 503, "unavailable"));
        assertThat(second.promptSizes).containsExactly(3);
        second.streams.get(0).emit(new ProviderChunk.Text("hello"));
        second.streams.get(0).complete();

        turn.assertCompleted().assertItems(new ProviderChunk.Text("hello"));
    }

    @Test
    void aFailureAfterTheFirstTextEndsTheTurn() {
        AssertSubscriber<ProviderChunk> turn = run(prompt(3));

        first.streams.get(0).emit(new ProviderChunk.Text("hel"));
        first.streams.get(0).fail(new UpstreamException("first", 503, "unavailable"));

        turn.assertFailedWith(UpstreamException.class, "unavailable");
        assertThat(second.promptSizes).isEmpty();
    }

    @Test
    void theRequestIsKeptUntilTheFirstTextThenLetGo() throws InterruptedException {
        ProviderRequest request = prompt(40);
        WeakReference<ProviderRequest> held = new WeakReference<>(request);
        AssertSubscriber<ProviderChunk> turn = run(request);
        request = null;

        // before any text another provider may still need it
        assertThat(collected(held)).isFalse();

        first.streams.get(0).emit(new ProviderChunk.Text("hello"));
        assertThat(collected(held)).isTrue();

        first.streams.get(0).emit(new ProviderChunk.Text(" there"));
        first.streams.get(0).complete();
        turn.assertCompleted().assertItems(new ProviderChunk.Text("hello"), new ProviderChunk.Text(" there"));
    }
}
