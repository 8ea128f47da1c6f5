package dev.parley.chat;

import java.util.UUID;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import org.jboss.logging.Logger;

import dev.parley.provider.ProviderChunk;
import dev.parley.provider.ProviderRequest;
import dev.parley.provider.Route;
import dev.parley.provider.TokenEstimate;
import dev.parley.provider.UpstreamBusyException;
import dev.parley.provider.UpstreamException;
import dev.parley.store.Message;
import dev.parley.store.TurnStore;
import dev.parley.store.Timestamps;
import dev.parley.store.UuidV7;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.smallrye.mutiny.subscription.MultiSubscriber;

/**
 * A chat turn whose user message is stored; {@link #events(Function)} runs the model and stores the reply. A provider failure
 * or a client that goes away still stores what was produced, marked {@code provider_error} or
 * {@code client_disconnected}; so does a turn that a shutdown cuts ({@code shutdown}, see {@link InFlightTurns}).
 */
public final class Turn {

    private static final Logger LOG = Logger.getLogger(Turn.class);

    public static final String CLIENT_DISCONNECTED = "client_disconnected";
    public static final String PROVIDER_ERROR = "provider_error";
    public static final String SHUTDOWN = "shutdown";

    private final Route route;
    private final TurnStore turns;
    private final UUID tenantId;
    private final UUID keyId;
    private final UUID conversationId;
    private final UUID userMessageId;
    private final UUID assistantMessageId = UuidV7.next();
    private final String model;
    /**
     * The prompt, until the provider has it: a turn in flight does not keep its conversation's history (at 500
     * streams that was most of what each young collection copied).
     */
    private ProviderRequest request;
    /** The prompt's size as estimated (and reserved at admission), for a reply whose provider reports no usage. */
    private final int promptTokensEstimate;
    /** The turn's place among the turns a shutdown waits for. */
    private final InFlightTurns.Entry inFlight;
    /** What the turn holds against its limits, settled when the reply is stored. */
    private final TurnStore.Admission admission;
    private final int bufferEvents;

    Turn(Route route, TurnStore turns, UUID tenantId, UUID keyId, UUID conversationId, UUID userMessageId,
            String model, ProviderRequest request, int promptTokensEstimate, InFlightTurns.Entry inFlight,
            TurnStore.Admission admission, int bufferEvents) {
        this.route = route;
        this.turns = turns;
        this.tenantId = tenantId;
        this.keyId = keyId;
        this.conversationId = conversationId;
        this.userMessageId = userMessageId;
        this.model = model;
        this.request = request;
        this.promptTokensEstimate = promptTokensEstimate;
        this.inFlight = inFlight;
        this.admission = admission;
        this.bufferEvents = bufferEvents;
    }

    public UUID conversationId() {
        return conversationId;
    }

    public String model() {
        return model;
    }

    public UUID assistantMessageId() {
        return assistantMessageId;
    }

    public UUID userMessageId() {
        return userMessageId;
    }

    /** Runs the turn to its end for a client that does not stream: the {@code Ended} or {@code Failed} event. */
    public Uni<TurnEvent> outcome() {
        return events(Function.<TurnEvent> identity()).collect().last();
    }

    /**
     * Subscribe once. The reply is taken from the provider as fast as it comes and stored as soon as the provider
     * finishes, however fast the client reads; the events, each as {@code view} makes it (the client's wire format),
     * wait for the client in a buffer of at most {@code PARLEY_CHAT_STREAM_BUFFER_EVENTS}, and a client that falls
     * further behind is cut off (its reply is still stored when it ends). Cancelling the subscription (the client went
     * away) cancels the provider request and stores the partial reply.
     * <p>
     * The view is applied here, as each event is emitted, rather than by an operator on the returned stream: every
     * function handed to a Mutiny operator is wrapped for context propagation, which costs a capture and restore of
     * the request context per token, for each operator on the way.
     */
    public <T> Multi<T> events(Function<TurnEvent, T> view) {
        return Multi.createFrom().<T> emitter(client -> run(client, view), bufferEvents);
    }

    /** What the provider produced so far. */
    private static final class Reply {
        final StringBuilder text = new StringBuilder();
        int promptTokens = -1;
        int completionTokens = -1;
        String finishReason;

        void add(ProviderChunk chunk) {
            if (chunk instanceof ProviderChunk.Text t) {
                text.append(t.text());
            } else if (chunk instanceof ProviderChunk.Usage u) {
                promptTokens = u.promptTokens();
                completionTokens = u.completionTokens();
            } else if (chunk instanceof ProviderChunk.Finished f) {
                finishReason = f.reason();
            }
        }
    }

    private <T> void run(MultiEmitter<? super T> out, Function<TurnEvent, T> view) {
        Events<T> client = new Events<>(out, view);
        Reply reply = new Reply();
        AtomicBoolean over = new AtomicBoolean(); // the provider's stream ended, or was cancelled or cut
        ProviderSubscriber provider = new ProviderSubscriber() {
            @Override
            public void onItem(ProviderChunk chunk) {
                if (!over.get()) {
                    reply.add(chunk);
                    if (chunk instanceof ProviderChunk.Text t) {
                        client.emit(new TurnEvent.Delta(t.text())); // ignored once a client that fell behind is cut
                    }
                }
            }

            @Override
            public void onFailure(Throwable failure) {
                if (over.compareAndSet(false, true)) {
                    end(client, failed(reply, failure));
                }
            }

            @Override
            public void onCompletion() {
                if (over.compareAndSet(false, true)) {
                    end(client, store(reply, reply.finishReason == null ? "stop" : reply.finishReason)
                            .map(TurnEvent.Ended::new));
                }
            }
        };
        client.emit(new TurnEvent.Started(conversationId, userMessageId, assistantMessageId, model));
        out.onCancellation(() -> {
            if (over.compareAndSet(false, true)) {
                provider.cancel();
                store(reply, CLIENT_DISCONNECTED).subscribe().with(m -> {
                    LOG.infof("Conversation %s: client went away, stored %d characters of the reply", conversationId,
                            m.content().length());
                    inFlight.end();
                }, e -> {
                    LOG.errorf("Conversation %s: could not store the partial reply: %s", conversationId,
                            e.getMessage());
                    inFlight.end();
                });
            }
        });
        inFlight.onCut(() -> {
            if (over.compareAndSet(false, true)) {
                provider.cancel();
                end(client, store(reply, SHUTDOWN).map(m -> {
                    LOG.infof("Conversation %s: shutdown cut the reply, stored %d characters of it", conversationId,
                            m.content().length());
                    return new TurnEvent.Failed(m, TurnFailure.SHUTTING_DOWN,
                            "the server is shutting down; the reply was cut short and stored as far as it got");
                }));
            }
        });
        ProviderRequest prompt = request;
        if (prompt == null) {
            throw new IllegalStateException("a turn runs once");
        }
        request = null;
        route.stream(prompt).subscribe().withSubscriber(provider);
    }

    /**
     * The turn's subscription to the provider's stream, cancellable from the moment the turn starts: a cancel that
     * comes before the subscription does cancels it as it arrives. A subscriber of its own rather than callbacks
     * ({@code subscribe().with(...)}), which Mutiny would wrap for context propagation and call through the wrapper at
     * every chunk.
     */
    private abstract static class ProviderSubscriber implements MultiSubscriber<ProviderChunk> {
        private static final Flow.Subscription CANCELLED = new Flow.Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
            }
        };
        private final AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();

        @Override
        public final void onSubscribe(Flow.Subscription s) {
            if (subscription.compareAndSet(null, s)) {
                s.request(Long.MAX_VALUE);
            } else {
                s.cancel(); // cancelled before the subscription was known
            }
        }

        final void cancel() {
            Flow.Subscription s = subscription.getAndSet(CANCELLED);
            if (s != null) {
                s.cancel();
            }
        }
    }

    /** The client's stream: each event in the client's view. */
    private record Events<T>(MultiEmitter<? super T> out, Function<TurnEvent, T> view) {
        void emit(TurnEvent event) {
            out.emit(view.apply(event));
        }

        void complete() {
            out.complete();
        }
    }

    /** Sends the turn's last event once the reply is stored (or could not be), and lets a shutdown proceed. */
    private void end(Events<?> client, Uni<TurnEvent> last) {
        last.subscribe().with(event -> {
            client.emit(event);
            client.complete();
            inFlight.end();
        }, e -> {
            LOG.errorf("Conversation %s: storing the reply failed: %s", conversationId, e.getMessage());
            client.emit(new TurnEvent.Failed(null, TurnFailure.STORAGE, "the reply could not be stored"));
            client.complete();
            inFlight.end();
        });
    }

    /** The provider failed: store what it produced, and tell the client without naming the upstream's address. */
    private Uni<TurnEvent> failed(Reply reply, Throwable e) {
        String errorId = UuidV7.next().toString();
        String reason = e instanceof UpstreamException u ? u.publicReason() : "the model failed";
        LOG.warnf("Conversation %s: provider failed after %d characters (error %s): %s", conversationId,
                reply.text.length(), errorId, e.getMessage());
        String detail = reason + " (error id " + errorId + ")";
        TurnFailure failure = e instanceof UpstreamBusyException ? TurnFailure.OVERLOADED : TurnFailure.UPSTREAM;
        return store(reply, PROVIDER_ERROR).map(m -> (TurnEvent) new TurnEvent.Failed(m, failure, detail))
                .onFailure().recoverWithItem(storeFailure -> {
                    LOG.errorf("Conversation %s: could not store the partial reply (error %s): %s", conversationId,
                            errorId, storeFailure.getMessage());
                    return new TurnEvent.Failed(null, failure, detail
                            + "; the partial reply could not be stored");
                });
    }

    /** Stores the reply with everything that counts it (usage, limits), in one write. */
    private Uni<Message> store(Reply reply, String finishReason) {
        String content = reply.text.toString();
        int tokensIn = reply.promptTokens >= 0 ? reply.promptTokens : promptTokensEstimate;
        int tokensOut = reply.completionTokens >= 0 ? reply.completionTokens : TokenEstimate.of(content);
        Message assistant = new Message(assistantMessageId, tenantId, conversationId, Message.Role.ASSISTANT, content,
                tokensIn, tokensOut, finishReason, Timestamps.now(), keyId, model);
        return turns.finish(new TurnStore.TurnEnd(assistant, admission)).map(stored -> {
            if (!stored) {
                throw new IllegalStateException("the conversation was deleted while the reply was produced");
            }
            return assistant;
        });
    }
}
