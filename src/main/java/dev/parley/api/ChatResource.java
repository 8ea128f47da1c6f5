package dev.parley.api;

import java.util.Map;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestMulti;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.parley.api.Views.MessageView;
import dev.parley.auth.CurrentCaller;
import dev.parley.auth.Scope;
import dev.parley.chat.ChatTurns;
import dev.parley.chat.Turn;
import dev.parley.chat.TurnEvent;
import dev.parley.chat.TurnFailure;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * Sends a message in a conversation and answers with the model's reply: as server-sent events by default
 * ({@code message.start}, {@code delta}..., then {@code message.end} or {@code error}), or as one JSON document when
 * the request says {@code "stream": false}.
 */
@Path("/api/conversations/{id}/messages")
public class ChatResource {

    static final int MAX_CONTENT_CHARS = 200_000;

    /** {@code maxTokens}: at most this many reply tokens (clamped to PARLEY_MAX_TOKENS_CAP); reserved meanwhile. */
    record SendMessage(@NotBlank @Size(max = MAX_CONTENT_CHARS) String content, @Size(max = 100) String model,
            Boolean stream, @Min(1) Integer maxTokens) {
    }

    record StartData(UUID conversationId, UUID userMessageId, UUID messageId, String model) {
    }

    record EndData(UUID messageId, int tokensIn, int tokensOut, String finishReason) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ErrorData(String type, String title, int status, String detail, UUID messageId, String finishReason) {
    }

    record Reply(UUID conversationId, UUID userMessageId, MessageView message) {
    }

    private final ChatTurns turns;
    private final CurrentCaller caller;
    private final ObjectMapper mapper;

    ChatResource(ChatTurns turns, CurrentCaller caller, ObjectMapper mapper) {
        this.turns = turns;
        this.caller = caller;
        this.mapper = mapper;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Scope.Names.CHAT)
    public RestMulti<String> send(@PathParam("id") String id, @NotNull SendMessage body) {
        RequestConstraints.required(body);
        Uni<Turn> turn = turns.continueConversation(caller.get(), Paging.id(id, "conversation"),
                body.content(), body.model(), body.maxTokens());
        if (body.stream() == null || body.stream()) {
            return RestMulti.fromUniResponse(turn, t -> t.events(this::frame), t -> SseFrames.SSE_HEADERS);
        }
        Uni<Map.Entry<Integer, String>> whole = turn.chain(t -> t.outcome().map(last -> {
            if (last instanceof TurnEvent.Ended ended) {
                return Map.entry(200, SseFrames.json(mapper, new Reply(t.conversationId(), t.userMessageId(),
                        MessageView.of(ended.assistant()))));
            }
            TurnEvent.Failed failed = (TurnEvent.Failed) last;
            return Map.entry(status(failed.failure()), SseFrames.json(mapper, error(failed)));
        }));
        return RestMulti.fromUniResponse(whole, r -> Multi.createFrom().item(r.getValue()),
                r -> r.getKey() == 200 ? SseFrames.JSON_HEADERS : SseFrames.PROBLEM_HEADERS, Map.Entry::getKey);
    }

    private String frame(TurnEvent event) {
        if (event instanceof TurnEvent.Started s) {
            return SseFrames.event("message.start", SseFrames.json(mapper, new StartData(s.conversationId(),
                    s.userMessageId(), s.assistantMessageId(), s.model())));
        }
        if (event instanceof TurnEvent.Delta d) {
            // the one event per token, {"text": ...}: written directly rather than through a serializer
            return SseFrames.textEvent("delta", "{\"text\":", d.text(), "}");
        }
        if (event instanceof TurnEvent.Ended e) {
            var m = e.assistant();
            return SseFrames.event("message.end", SseFrames.json(mapper, new EndData(m.id(), m.tokensIn(),
                    m.tokensOut(), m.finishReason())));
        }
        return SseFrames.event("error", SseFrames.json(mapper, error((TurnEvent.Failed) event)));
    }

    private static ErrorData error(TurnEvent.Failed f) {
        return new ErrorData(Problem.TYPE_PREFIX + slug(f.failure()), title(f.failure()), status(f.failure()),
                f.detail(), f.assistant() == null ? null : f.assistant().id(),
                f.assistant() == null ? null : f.assistant().finishReason());
    }

    /** The problem of a turn that broke off: what each {@link TurnFailure} is in HTTP terms. */
    static int status(TurnFailure failure) {
        return switch (failure) {
            case UPSTREAM -> 502;
            case OVERLOADED, STORAGE, SHUTTING_DOWN -> 503;
        };
    }

    static String slug(TurnFailure failure) {
        return switch (failure) {
            case UPSTREAM -> "upstream-error";
            case OVERLOADED -> "overloaded";
            case STORAGE -> "storage-error";
            case SHUTTING_DOWN -> "shutting-down";
        };
    }

    static String title(TurnFailure failure) {
        return switch (failure) {
            case UPSTREAM -> "Upstream failed";
            case OVERLOADED -> "Service overloaded";
            case STORAGE -> "Reply not stored";
            case SHUTTING_DOWN -> "Service shutting down";
        };
    }
}
