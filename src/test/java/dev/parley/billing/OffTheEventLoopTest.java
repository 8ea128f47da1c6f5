package dev.parley.billing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Vertx;

/**
 * A webhook's event is read (HMAC, Stripe's reflective parse, on the first event its class loading) on a worker thread
 * when it arrives on an event loop, and the delivery goes on on that event loop, where the stores' reactive clients
 * need it.
 */
class OffTheEventLoopTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void onAnEventLoopTheWorkRunsOnAWorkerAndTheResultComesBackToTheLoop() throws Exception {
        CompletableFuture<List<String>> threads = new CompletableFuture<>();
        vertx.runOnContext(v -> {
            String loop = Thread.currentThread().getName();
            StripeWebhooks.offTheEventLoop(() -> Thread.currentThread().getName()).subscribe().with(
                    worker -> threads.complete(List.of(loop, worker, Thread.currentThread().getName())),
                    threads::completeExceptionally);
        });
        List<String> t = threads.get(10, TimeUnit.SECONDS);
        assertThat(t.get(0)).startsWith("vert.x-eventloop-thread");
        assertThat(t.get(1)).startsWith("vert.x-worker-thread");
        assertThat(t.get(2)).as("continued on the same event loop").isEqualTo(t.get(0));
    }

    @Test
    void aRejectionFailsTheResult() throws Exception {
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        vertx.runOnContext(v -> StripeWebhooks.<String>offTheEventLoop(() -> {
            throw WebhookRejected.malformed("the payload is not a Stripe event");
        }).subscribe().with(item -> failure.complete(null), failure::complete));
        assertThat(failure.get(10, TimeUnit.SECONDS)).isInstanceOf(WebhookRejected.class)
                .hasMessageContaining("not a Stripe event");
    }

    @Test
    void offAnEventLoopTheWorkRunsRightHere() {
        String caller = Thread.currentThread().getName();
        assertThat(StripeWebhooks.offTheEventLoop(() -> Thread.currentThread().getName()).await().indefinitely())
                .isEqualTo(caller);
    }
}
