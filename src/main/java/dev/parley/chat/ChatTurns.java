package dev.parley.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;

import dev.parley.auth.Caller;
import dev.parley.provider.PromptMessage;
import dev.parley.provider.ProviderRequest;
import dev.parley.provider.ModelAccess;
import dev.parley.provider.Route;
import dev.parley.provider.TokenEstimate;
import dev.parley.store.Conversation;
import dev.parley.store.ConversationStore;
import dev.parley.store.Message;
import dev.parley.store.MessageStore;
import dev.parley.store.NoSuchConversationException;
import dev.parley.store.Timestamps;
import dev.parley.store.TurnStore;
import dev.parley.store.UuidV7;
import dev.parley.usage.Admissions;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;

/**
 * Starts chat turns. One exchange with a model: (a) a short write stores the user message, (b) the reply streams from
 * the provider to the client while it accumulates in memory, holding no database connection, (c) a short write
 * stores the assistant message with its token counts and finish reason (see {@link Turn}).
 */
@ApplicationScoped
public class ChatTurns {

    private final ConversationStore conversations;
    private final MessageStore messages;
    private final TurnStore turns;
    private final ModelAccess access;
    private final InFlightTurns inFlight;
    private final Admissions admissions;
    private final ChatSettings settings;

    ChatTurns(ConversationStore conversations, MessageStore messages, TurnStore turns, ModelAccess access,
            InFlightTurns inFlight, Admissions admissions, ChatSettings settings) {
        this.conversations = conversations;
        this.messages = messages;
        this.turns = turns;
        this.access = access;
        this.inFlight = inFlight;
        this.admissions = admissions;
        this.settings = settings;
    }

    /**
     * Starts a turn in an existing conversation: the prompt is the conversation's recent history (capped by
     * {@code PARLEY_CHAT_HISTORY_MAX_MESSAGES} and {@code PARLEY_CHAT_HISTORY_MAX_TOKENS}) plus the new message.
     */
    public Uni<Turn> continueConversation(Caller caller, UUID conversationId, String content, String model,
            Integer maxTokens) {
        Integer replyTokens = admissions.cappedMaxTokens(maxTokens);
        // the conversation and its history are read at once (two reads in flight, not one after the other): both
        // are scoped to the tenant, and an unknown conversation simply has no history
        return admitted(shutdown -> Uni.combine().all().unis(conversations.find(caller.tenantId(), conversationId),
                messages.recent(caller.tenantId(), conversationId, settings.historyMaxMessages())).asTuple()
                .chain(read -> {
                    Conversation conversation = read.getItem1()
                            .orElseThrow(() -> new NoSuchConversationException(conversationId));
                    // the prompt, not the history as read, is what the next steps keep
                    List<PromptMessage> prompt = capped(read.getItem2(), content);
                    String chosen = model == null || model.isBlank() ? conversation.model() : model.trim();
                    return access.route(caller.tenantId(), chosen).chain(route -> {
                        Message user = newMessage(caller, conversationId, Message.Role.USER, content);
                        return started(caller, null, List.of(user), conversationId, user.id(), route, prompt,
                                replyTokens, shutdown);
                    });
                }));
    }

    /**
     * The turn's first write: its messages (and new conversation), admitted against the caller's tenant's and key's
     * limits (refused, it stores nothing); then the turn, ready to run, with the prompt's estimated size that its
     * admission reserved.
     */
    private Uni<Turn> started(Caller caller, Conversation created, List<Message> stored, UUID conversationId,
            UUID userMessageId, Route route, List<PromptMessage> prompt, Integer replyTokens,
            InFlightTurns.Entry shutdown) {
        int promptTokens = TokenEstimate.ofPrompt(prompt);
        return admissions.admit(caller.tenantId(), caller.keyId(), caller.limits(), promptTokens, replyTokens)
                .call(admission -> turns.start(new TurnStore.TurnStart(created, stored, admission)))
                .map(admission -> new Turn(route, turns, caller.tenantId(), caller.keyId(), conversationId,
                        userMessageId, route.model(), new ProviderRequest(route.model(), prompt, replyTokens),
                        promptTokens, shutdown, admission, settings.streamBufferEvents()));
    }

    /**
     * Starts a turn whose prompt the client sends in full (the OpenAI-compatible API). A new conversation is stored
     * with all given messages in one write, so a failure leaves nothing behind; in an existing one only the last
     * message is stored, which is the client's new message. A {@code model} that is null or blank is the tenant's
     * default.
     */
    public Uni<Turn> fromPrompt(Caller caller, Optional<UUID> conversationId, List<PromptMessage> prompt,
            String model, Integer maxTokens) {
        Integer replyTokens = admissions.cappedMaxTokens(maxTokens);
        return access.route(caller.tenantId(), model).chain(route -> fromPrompt(caller, conversationId, prompt, route,
                replyTokens));
    }

    private Uni<Turn> fromPrompt(Caller caller, Optional<UUID> conversationId, List<PromptMessage> prompt,
            Route route, Integer replyTokens) {
        String model = route.model();
        if (conversationId.isPresent()) {
            UUID id = conversationId.get();
            PromptMessage last = prompt.get(prompt.size() - 1);
            Message user = newMessage(caller, id, Message.Role.of(last.role()), last.content());
            // the conversation must be the tenant's: the write that stores the message checks it
            return admitted(shutdown -> started(caller, null, List.of(user), id, user.id(), route, prompt, replyTokens,
                    shutdown));
        }
        UUID id = UuidV7.next();
        List<Message> stored = new ArrayList<>(prompt.size());
        for (PromptMessage m : prompt) {
            stored.add(newMessage(caller, id, Message.Role.of(m.role()), m.content()));
        }
        Message last = stored.get(stored.size() - 1);
        Conversation created = new Conversation(id, caller.tenantId(), titleFrom(prompt), model, false,
                stored.get(0).createdAt(), last.createdAt(), null);
        return admitted(shutdown -> started(caller, created, stored, id, last.id(), route, prompt, replyTokens,
                shutdown));
    }

    /**
     * Counts the turn as in flight from before its user message is stored until its reply is stored, so that a
     * shutdown waits for it; once a shutdown has begun, the turn is refused before anything is stored.
     */
    private Uni<Turn> admitted(Function<InFlightTurns.Entry, Uni<Turn>> start) {
        return detached(Uni.createFrom().deferred(() -> {
            InFlightTurns.Entry admission = inFlight.admit();
            return start.apply(admission)
                    .onFailure().invoke(e -> admission.end())
                    .onCancellation().invoke(admission::end);
        }));
    }

    /**
     * The same outcome, from a Uni that lets go of the steps that made it once it has its item. The response of a
     * streamed turn keeps its Uni's subscription until the stream ends (to cancel it), and with it every step's state:
     * the conversation's history as read, the prompt, the user message. At 500 streams that was most of what each of
     * G1's young collections copied. Cancelled before the item, it cancels the steps as before.
     */
    static <T> Uni<T> detached(Uni<T> steps) {
        return Uni.createFrom().emitter(out -> {
            Cancellable running = steps.subscribe().with(out::complete, out::fail);
            out.onTermination(running::cancel); // run once, then dropped: a no-op after the item
        });
    }

    private static Message newMessage(Caller caller, UUID conversationId, Message.Role role, String content) {
        return new Message(UuidV7.next(), caller.tenantId(), conversationId, role, content,
                role == Message.Role.ASSISTANT ? 0 : TokenEstimate.of(content), 0, null, Timestamps.now());
    }

    private List<PromptMessage> capped(List<Message> history, String content) {
        List<PromptMessage> prompt = new ArrayList<>();
        int budget = settings.historyMaxTokens() - TokenEstimate.of(content);
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
}
