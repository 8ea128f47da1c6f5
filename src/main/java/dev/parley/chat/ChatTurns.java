package dev.parley.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import dev.parley.auth.Caller;
import dev.parley.provider.PromptMessage;
import dev.parley.provider.ProviderChunk;
import dev.parley.provider.ProviderRequest;
import dev.parley.provider.Providers;
import dev.parley.provider.TokenEstimate;
import dev.parley.store.Conversation;
import dev.parley.store.ConversationStore;
import dev.parley.store.Message;
import dev.parley.store.MessageStore;
import dev.parley.store.NoSuchConversationException;
import dev.parley.store.Timestamps;
import dev.parley.store.UuidV7;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;

/**
 * One exchange with a model: (a) a short write stores the user message, (b) the reply streams from the provider to
 * the client while it accumulates in memory, holding no database connection, (c) a short write stores the assistant
 * message with its token counts and finish reason. A provider failure or a client that goes away still stores what
 * was produced, marked {@code provider_error} or {@code client_disconnected}; so does a turn that a shutdown cuts
 * ({@code shutdown}, see {@link InFlightTurns}).
 */
@ApplicationScoped
public class ChatTurns {

    private static final Logger LOG = Logger.getLogger(ChatTurns.class);

    public static final String CLIENT_DISCONNECTED = "client_disconnected";
    public static final String PROVIDER_ERROR = "provider_error";
    public static final String SHUTDOWN = "shutdown";

    @Inject
    ConversationStore conversations;

    @Inject
    MessageStore messages;

    @Inject
    Providers providers;

    @Inject
    InFlightTurns inFlight;

    @ConfigProperty(name = "parley.chat.history-max-messages", defaultValue = "50")
    int historyMaxMessages;

    @ConfigProperty(name = "parley.chat.history-max-tokens", defaultValue = "16000")
    int historyMaxTokens;

    /**
     * Starts a turn in an existing conversation: the prompt is the conversation's recent history (capped by
     * {@code PARLEY_CHAT_HISTORY_MAX_MESSAGES} and {@code PARLEY_CHAT_HISTORY_MAX_TOKENS}) plus the new message.
     */
    public Uni<Turn> continueConversation(Caller caller, UUID conversationId, String content, String model) {
        return admitted(conversations.find(caller.tenantId(), conversationId).chain(found -> {
            Conversation conversation = found.orElseThrow(() -> new NoSuchConversationException(conversationId));
            String chosen = model == null || model.isBlank() ? conversation.model() : model.trim();
            providers.checkServed(chosen);
            return messages.recent(caller.tenantId(), conversationId, historyMaxMessages).chain(history -> {
                Message user = newMessage(caller, conversationId, Message.Role.USER, content);
                List<PromptMessage> prompt = capped(history, content);
                return messages.append(user).replaceWith(new Turn(caller, conversationId, user.id(), chosen, prompt));
            });
        }));
    }

    /**
     * Starts a turn whose prompt the client sends in full (the OpenAI-compatible API). In a new conversation all
     * given messages are stored; in an existing one only the last, which is the client's new message.
     */
    public Uni<Turn> fromPrompt(Caller caller, Optional<UUID> conversationId, List<PromptMessage> prompt,
            String model) {
        providers.checkServed(model);
        Uni<UUID> conversation;
        List<PromptMessage> toStore;
        if (conversationId.isPresent()) {
            conversation = conversations.find(caller.tenantId(), conversationId.get()).map(found -> found
                    .orElseThrow(() -> new NoSuchConversationException(conversationId.get())).id());
            toStore = List.of(prompt.get(prompt.size() - 1));
        } else {
            var now = Timestamps.now();
            Conversation created = new Conversation(UuidV7.next(), caller.tenantId(), titleFrom(prompt), model, false,
                    now, now, null);
            conversation = conversations.create(created).replaceWith(created.id());
            toStore = prompt;
        }
        return admitted(conversation.chain(id -> {
            Uni<Void> stored = Uni.createFrom().voidItem();
            UUID lastId = null;
            for (PromptMessage m : toStore) {
                Message message = newMessage(caller, id, Message.Role.of(m.role()), m.content());
                lastId = message.id();
                stored = stored.chain(() -> messages.append(message));
            }
            UUID userMessageId = lastId;
            return stored.replaceWith(() -> new Turn(caller, id, userMessageId, model, prompt));
        }));
    }

    /**
     * Counts the turn as in flight from before its user message is stored until its reply is stored, so that a
     * shutdown waits for it; once a shutdown has begun, the turn is refused before anything is stored.
     */
    private Uni<Turn> admitted(Uni<Turn> start) {
        return Uni.createFrom().deferred(() -> {
            InFlightTurns.Admission admission = inFlight.admit();
            return start.onItem().invoke(turn -> turn.admission = admission)
                    .onFailure().invoke(e -> admission.end())
                    .onCancellation().invoke(admission::end);
        });
    }

    private static Message newMessage(Caller caller, UUID conversationId, Message.Role role, String content) {
        return new Message(UuidV7.next(), caller.tenantId(), conversationId, role, content,
                role == Message.Role.ASSISTANT ? 0 : TokenEstimate.of(content), 0, null, Timestamps.now());
    }

    private List<PromptMessage> capped(List<Message> history, String content) {
        List<PromptMessage> prompt = new ArrayList<>();
        int budget = historyMaxTokens - TokenEstimate.of(content);
        // walk back from the newest message and keep what fits the token budget
        for (int i = history.size() - 1; i >= 0; i--) {
            Message m = history.get(i);
            budget -= TokenEstimate.of(m.content());
            if (budget < 0) {
                break;
            }
            if (m.content().isEmpty()) {
                continue; // e.g. a reply that failed before its first token: nothing to show the model
            }
            prompt.add(0, new PromptMessage(m.role().id(), m.content()));
        }
        prompt.add(new PromptMessage("user", content));
        return prompt;
    }

    private static String titleFrom(List<PromptMessage> prompt) {
        return prompt.stream().filter(m -> m.role().equals("user")).map(PromptMessage::content).findFirst()
                .map(t -> t.strip().replaceAll("\\s+", " "))
                .map(t -> t.length() > 80 ? t.substring(0, 80) + "…" : t).orElse(null);
    }

    /** A turn whose user message is stored; {@link #events()} runs the model and stores the reply. */
    public final class Turn {
        private final Caller caller;
        private final UUID conversationId;
        private final UUID userMessageId;
        private final UUID assistantMessageId = UuidV7.next();
        private final String model;
        private final List<PromptMessage> prompt;
        private InFlightTurns.Admission admission;

        private Turn(Caller caller, UUID conversationId, UUID userMessageId, String model,
                List<PromptMessage> prompt) {
            this.caller = caller;
            this.conversationId = conversationId;
            this.userMessageId = userMessageId;
            this.model = model;
            this.prompt = prompt;
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
                                    LOG.infof("Conversation %s: client went away, stored %d characters of the "
                                            + "reply", conversationId, text.length());
                                    admission.end();
                                },
                                e -> {
                                    LOG.errorf("Conversation %s: could not store the partial reply: %s",
                                            conversationId, e.getMessage());
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
                return (TurnEvent) new TurnEvent.Failed(m, 503, "shutting-down",
                        "the server is shutting down; the reply was cut short and stored as far as it got");
            });
        }

        private Uni<TurnEvent> failed(AtomicBoolean stored, StringBuilder text, int[] usage, Throwable e) {
            if (stored.get()) {
                // the provider finished but the reply could not be stored
                LOG.errorf("Conversation %s: storing the reply failed: %s", conversationId, e.getMessage());
                return Uni.createFrom().item(new TurnEvent.Failed(null, 503, "storage-error",
                        "the reply could not be stored: " + e.getMessage()));
            }
            LOG.warnf("Conversation %s: provider failed after %d characters: %s", conversationId, text.length(),
                    e.getMessage());
            return store(stored, text, usage, PROVIDER_ERROR).map(m -> (TurnEvent) new TurnEvent.Failed(m, 502,
                    "upstream-error", e.getMessage()))
                    .onFailure().recoverWithItem(storeFailure -> new TurnEvent.Failed(null, 502, "upstream-error",
                            e.getMessage() + "; the partial reply could not be stored: " + storeFailure.getMessage()));
        }

        private Uni<Message> store(AtomicBoolean stored, StringBuilder text, int[] usage, String finishReason) {
            if (!stored.compareAndSet(false, true)) {
                return Uni.createFrom().nullItem();
            }
            String content = text.toString();
            int tokensIn = usage[0] >= 0 ? usage[0]
                    : prompt.stream().mapToInt(m -> TokenEstimate.of(m.content())).sum();
            int tokensOut = usage[1] >= 0 ? usage[1] : TokenEstimate.of(content);
            Message assistant = new Message(assistantMessageId, caller.tenantId(), conversationId,
                    Message.Role.ASSISTANT, content, tokensIn, tokensOut, finishReason, Timestamps.now());
            return messages.append(assistant).replaceWith(assistant);
        }
    }
}
