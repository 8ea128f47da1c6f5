package dev.parley.chat;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jboss.logging.Logger;

import dev.parley.provider.PromptMessage;
import dev.parley.provider.ProviderChunk;
import dev.parley.provider.ProviderRequest;
import dev.parley.provider.Providers;
import dev.parley.provider.TokenEstimate;
import dev.parley.store.Message;
import dev.parley.store.MessageStore;
import dev.parley.store.Timestamps;
import dev.parley.store.UuidV7;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;

/**
 * A chat turn whose user message is stored; {@link #events()} runs the model and stores the reply. A provider failure
 * or a client that goes away still stores what was produced, marked {@code provider_error} or
 * {@code client_disconnected}; so does a turn that a shutdown cuts ({@code shutdown}, see {@link InFlightTurns}).
 */
public final class Turn {

    private static final Logger LOG = Logger.getLogger(Turn.class);

    public static final String CLIENT_DISCONNECTED = "client_disconnected";
    public static final String PROVIDER_ERROR = "provider_error";
    public static final String SHUTDOWN = "shutdown";

    private final Providers providers;
    private final MessageStore messages;
    private final UUID tenantId;
    private final UUID conversationId;
    private final UUID userMessageId;
    private final UUID assistantMessageId = UuidV7.next();
    private final String model;
    private final List<PromptMessage> prompt;
    private final InFlightTurns.Admission admission;

    Turn(Providers providers, MessageStore messages, UUID tenantId, UUID conversationId, UUID userMessageId,
            String model, List<PromptMessage> prompt, InFlightTurns.Admission admission) {
        this.providers = providers;
        this.messages = messages;
        this.tenantId = tenantId;
        this.conversationId = conversationId;
        this.userMessageId = userMessageId;
        this.model = model;
        this.prompt = prompt;
        this.admission = admission;
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
        return events().collect().last();
    }

    /** Subscribe once. Cancelling the subscription cancels the provider request and stores the partial reply. */
    public Multi<TurnEvent> events() {
        StringBuilder text = new StringBuilder();
        int[] usage = { -1, -1 };
        String[] finish = { null };
        AtomicBoolean stored = new AtomicBoolean();
        AtomicBoolean cut = new AtomicBoolean();

        Multi<TurnEvent> deltas = cuttable(providers.stream(new ProviderRequest(model, prompt)), cut)
                .onItem().invoke(chunk -> {
                    if (chunk instanceof ProviderChunk.Text t) {
                        text.append(t.text());
                    } else if (chunk instanceof ProviderChunk.Usage u) {
                        usage[0] = u.promptTokens();
                        usage[1] = u.completionTokens();
                    } else if (chunk instanceof ProviderChunk.Finished f) {
                        finish[0] = f.reason();
                    }
                })
                .filter(chunk -> chunk instanceof ProviderChunk.Text)
                .map(chunk -> new TurnEvent.Delta(((ProviderChunk.Text) chunk).text()));

        Multi<TurnEvent> end = Multi.createFrom().deferred(() -> (cut.get() ? cutShort(stored, text, usage)
                : store(stored, text, usage, finish[0] == null ? "stop" : finish[0])
                        .map(m -> (TurnEvent) new TurnEvent.Ended(m))).toMulti());

        return Multi.createBy().concatenating().streams(
                Multi.createFrom().item(new TurnEvent.Started(conversationId, userMessageId, assistantMessageId,
                        model)),
                deltas, end)
                .onFailure().recoverWithMulti(e -> failed(stored, text, usage, e).toMulti())
                .onTermination().invoke((failure, cancelled) -> {
                    if (!cancelled || stored.get()) {
                        admission.end(); // the reply is stored (or storing it failed and was reported)
                        return;
                    }
                    store(stored, text, usage, CLIENT_DISCONNECTED).subscribe().with(
                            m -> {
                                LOG.infof("Conversation %s: client went away, stored %d characters of the reply",
                                        conversationId, text.length());
                                admission.end();
                            },
                            e -> {
                                LOG.errorf("Conversation %s: could not store the partial reply: %s", conversationId,
                                        e.getMessage());
                                admission.end();
                            });
                });
    }

    /**
     * The provider's stream, which a shutdown may end early (see {@link InFlightTurns#drain}): then the provider
     * request is cancelled, the stream completes and {@code cut} is set.
     */
    private Multi<ProviderChunk> cuttable(Multi<ProviderChunk> chunks, AtomicBoolean cut) {
        return Multi.createFrom().emitter(emitter -> {
            AtomicBoolean over = new AtomicBoolean();
            Cancellable upstream = chunks.subscribe().with(emitter::emit,
                    e -> {
                        if (over.compareAndSet(false, true)) {
                            emitter.fail(e);
                        }
                    },
                    () -> {
                        if (over.compareAndSet(false, true)) {
                            emitter.complete();
                        }
                    });
            emitter.onTermination(upstream::cancel);
            admission.onCut(() -> {
                if (over.compareAndSet(false, true)) {
                    cut.set(true);
                    upstream.cancel();
                    emitter.complete();
                }
            });
        });
    }

    /** A shutdown cut the stream: store what was produced and tell the client that the reply broke off. */
    private Uni<TurnEvent> cutShort(AtomicBoolean stored, StringBuilder text, int[] usage) {
        return store(stored, text, usage, SHUTDOWN).map(m -> {
            LOG.infof("Conversation %s: shutdown cut the reply, stored %d characters of it", conversationId,
                    text.length());
            return (TurnEvent) new TurnEvent.Failed(m, TurnFailure.SHUTTING_DOWN,
                    "the server is shutting down; the reply was cut short and stored as far as it got");
        });
    }

    private Uni<TurnEvent> failed(AtomicBoolean stored, StringBuilder text, int[] usage, Throwable e) {
        if (stored.get()) {
            // the provider finished but the reply could not be stored
            LOG.errorf("Conversation %s: storing the reply failed: %s", conversationId, e.getMessage());
            return Uni.createFrom().item(new TurnEvent.Failed(null, TurnFailure.STORAGE,
                    "the reply could not be stored: " + e.getMessage()));
        }
        LOG.warnf("Conversation %s: provider failed after %d characters: %s", conversationId, text.length(),
                e.getMessage());
        return store(stored, text, usage, PROVIDER_ERROR)
                .map(m -> (TurnEvent) new TurnEvent.Failed(m, TurnFailure.UPSTREAM, e.getMessage()))
                .onFailure().recoverWithItem(storeFailure -> new TurnEvent.Failed(null, TurnFailure.UPSTREAM,
                        e.getMessage() + "; the partial reply could not be stored: " + storeFailure.getMessage()));
    }

    private Uni<Message> store(AtomicBoolean stored, StringBuilder text, int[] usage, String finishReason) {
        if (!stored.compareAndSet(false, true)) {
            return Uni.createFrom().nullItem();
        }
        String content = text.toString();
        int tokensIn = usage[0] >= 0 ? usage[0] : prompt.stream().mapToInt(m -> TokenEstimate.of(m.content())).sum();
        int tokensOut = usage[1] >= 0 ? usage[1] : TokenEstimate.of(content);
        Message assistant = new Message(assistantMessageId, tenantId, conversationId, Message.Role.ASSISTANT, content,
                tokensIn, tokensOut, finishReason, Timestamps.now());
        return messages.append(assistant).replaceWith(assistant);
    }
}
