package dev.parley.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestMulti;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.parley.auth.CurrentCaller;
import dev.parley.auth.Scope;
import dev.parley.chat.ChatTurns;
import dev.parley.chat.Turn;
import dev.parley.chat.TurnEvent;
import dev.parley.provider.PromptMessage;
import dev.parley.provider.ModelAccess;
import dev.parley.store.Message;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * OpenAI-compatible API ({@code /v1/chat/completions}, {@code /v1/models}) authenticated with Parley keys, so
 * existing OpenAI clients work by changing their base URL. Every exchange is stored: in the conversation named by
 * the {@code X-Parley-Conversation} header, or in a new one whose id comes back in that header.
 */
@Path("/v1")
public class OpenAiResource {

    static final String CONVERSATION_HEADER = "X-Parley-Conversation";
    /** Most messages one request may send (a longer history is refused, not stored in part). */
    static final int MAX_MESSAGES = 1_000;
    /** Longest message content, as on the conversation API. */
    static final int MAX_CONTENT_CHARS = ChatResource.MAX_CONTENT_CHARS;
    static final int MAX_MODEL_CHARS = 100;

    record InMessage(String role, JsonNode content) {
    }

    record StreamOptions(@JsonProperty("include_usage") Boolean includeUsage) {
    }

    record CompletionRequest(String model, List<InMessage> messages, Boolean stream,
            @JsonProperty("stream_options") StreamOptions streamOptions, @JsonProperty("max_tokens") Integer maxTokens,
            @JsonProperty("max_completion_tokens") Integer maxCompletionTokens) {
        /** The newer name wins, as in OpenAI's API. */
        Integer replyTokens() {
            return maxCompletionTokens != null ? maxCompletionTokens : maxTokens;
        }
    }

    private final ChatTurns turns;
    private final ModelAccess access;
    private final CurrentCaller caller;
    private final ObjectMapper mapper;

    OpenAiResource(ChatTurns turns, ModelAccess access, CurrentCaller caller, ObjectMapper mapper) {
        this.turns = turns;
        this.access = access;
        this.caller = caller;
        this.mapper = mapper;
    }

    @GET
    @Path("models")
    @RolesAllowed(Scope.Names.READ)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<Map<String, Object>> models() {
        // exactly what the caller's tenant may use: its own upstreams' models and the operator's it is allowed
        return access.models(caller.get().tenantId()).map(models -> {
            List<Map<String, Object>> data = models.stream()
                    .map(m -> Map.<String, Object> of("id", m, "object", "model", "created", 0, "owned_by", "parley"))
                    .toList();
            return Map.of("object", "list", "data", data);
        });
    }

    @POST
    @Path("chat/completions")
    @RolesAllowed(Scope.Names.CHAT)
    @Consumes(MediaType.APPLICATION_JSON)
    public RestMulti<String> complete(@NotNull CompletionRequest body,
            @HeaderParam(CONVERSATION_HEADER) String conversation) {
        RequestConstraints.required(body);
        List<PromptMessage> prompt = prompt(body.messages());
        if (body.model() != null && body.model().length() > MAX_MODEL_CHARS) {
            throw ApiProblem.badRequest("model must be at most " + MAX_MODEL_CHARS + " characters");
        }
        String model = body.model(); // null or blank: the tenant's default
        Optional<java.util.UUID> conversationId = conversation == null || conversation.isBlank() ? Optional.empty()
                : Optional.of(Paging.id(conversation.trim(), "conversation"));
        Integer replyTokens = body.replyTokens();
        if (replyTokens != null && replyTokens < 1) {
            throw ApiProblem.badRequest("max_tokens must be at least 1");
        }
        Uni<Turn> turn = turns.fromPrompt(caller.get(), conversationId, prompt, model, replyTokens);
        boolean includeUsage = body.streamOptions() != null && Boolean.TRUE.equals(body.streamOptions().includeUsage());
        if (Boolean.TRUE.equals(body.stream())) {
            return RestMulti.fromUniResponse(turn, t -> chunks(t, includeUsage),
                    t -> withConversation(SseFrames.SSE_HEADERS, t));
        }
        Uni<Whole> whole = turn.chain(t -> t.outcome().map(last -> new Whole(t, last)));
        return RestMulti.fromUniResponse(whole, w -> Multi.createFrom().item(w.body(this)),
                w -> withConversation(w.ok() ? SseFrames.JSON_HEADERS : SseFrames.PROBLEM_HEADERS, w.turn()),
                w -> w.ok() ? 200 : ChatResource.status(w.failure().failure()));
    }

    private record Whole(Turn turn, TurnEvent last) {
        boolean ok() {
            return last() instanceof TurnEvent.Ended;
        }

        TurnEvent.Failed failure() {
            return (TurnEvent.Failed) last();
        }

        String body(OpenAiResource r) {
            if (!ok()) {
                TurnEvent.Failed f = failure();
                return SseFrames.json(r.mapper, new Problem(Problem.TYPE_PREFIX + ChatResource.slug(f.failure()),
                        ChatResource.title(f.failure()), ChatResource.status(f.failure()), f.detail(),
                        "/v1/chat/completions", null));
            }
            Message m = ((TurnEvent.Ended) last()).assistant();
            ObjectNode json = r.completionBase(turn, "chat.completion", System.currentTimeMillis() / 1000);
            ObjectNode choice = json.putArray("choices").addObject();
            choice.put("index", 0);
            choice.putObject("message").put("role", "assistant").put("content", m.content());
            choice.put("finish_reason", m.finishReason());
            r.usage(json, m);
            return json.toString();
        }
    }

    private Multi<String> chunks(Turn turn, boolean includeUsage) {
        long created = System.currentTimeMillis() / 1000;
        // every chunk of a completion carries the same id, created and model (as OpenAI's do); a delta is written
        // directly around its text, once per token, the other chunks through the mapper
        ObjectNode base = completionBase(turn, "chat.completion.chunk", created);
        base.putArray("choices");
        String empty = base.toString(); // ends with "choices":[]}
        String prefix = empty.substring(0, empty.length() - "]}".length()) + "{\"index\":0,\"delta\":{\"content\":";
        String deltaAfter = "},\"finish_reason\":null}]}";
        return turn.events(event -> {
            if (event instanceof TurnEvent.Delta d) {
                return SseFrames.textEvent(null, prefix, d.text(), deltaAfter);
            }
            if (event instanceof TurnEvent.Started) {
                return chunk(turn, created, delta -> delta.put("role", "assistant").put("content", ""), null);
            }
            if (event instanceof TurnEvent.Ended e) {
                Message m = e.assistant();
                StringBuilder out = new StringBuilder(chunk(turn, created, delta -> {
                }, m.finishReason()));
                if (includeUsage) {
                    ObjectNode json = completionBase(turn, "chat.completion.chunk", created);
                    json.putArray("choices");
                    usage(json, m);
                    out.append(SseFrames.event(null, json.toString()));
                }
                return out.append(SseFrames.event(null, "[DONE]")).toString();
            }
            TurnEvent.Failed f = (TurnEvent.Failed) event;
            ObjectNode error = mapper.createObjectNode();
            error.putObject("error").put("message", f.detail()).put("type", ChatResource.slug(f.failure()))
                    .put("code", ChatResource.status(f.failure()));
            return SseFrames.event(null, error.toString());
        });
    }

    private String chunk(Turn turn, long created, java.util.function.Consumer<ObjectNode> delta, String finishReason) {
        ObjectNode json = completionBase(turn, "chat.completion.chunk", created);
        ObjectNode choice = json.putArray("choices").addObject();
        choice.put("index", 0);
        delta.accept(choice.putObject("delta"));
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return SseFrames.event(null, json.toString());
    }

    /**
     * The fields every completion and chunk carries; the id is the stored assistant message's, {@code created} the
     * same for every chunk of one completion.
     */
    private ObjectNode completionBase(Turn turn, String object, long created) {
        ObjectNode json = mapper.createObjectNode();
        json.put("id", "chatcmpl-" + turn.assistantMessageId().toString().replace("-", ""));
        json.put("object", object);
        json.put("created", created);
        json.put("model", turn.model());
        return json;
    }

    private void usage(ObjectNode json, Message m) {
        json.putObject("usage").put("prompt_tokens", m.tokensIn()).put("completion_tokens", m.tokensOut())
                .put("total_tokens", m.tokensIn() + m.tokensOut());
    }

    private static Map<String, List<String>> withConversation(Map<String, List<String>> headers,
            Turn turn) {
        Map<String, List<String>> all = new HashMap<>(headers);
        all.put(CONVERSATION_HEADER, List.of(turn.conversationId().toString()));
        return all;
    }

    /** OpenAI messages to a prompt: string or text-part content; {@code developer} is the newer name of system. */
    private static List<PromptMessage> prompt(List<InMessage> messages) {
        if (messages == null || messages.isEmpty()) {
            throw ApiProblem.badRequest("messages must contain at least one message");
        }
        if (messages.size() > MAX_MESSAGES) {
            throw ApiProblem.badRequest("messages must contain at most " + MAX_MESSAGES + " messages (got "
                    + messages.size() + "); send the recent part of a long history");
        }
        List<PromptMessage> prompt = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            InMessage m = messages.get(i);
            String role = m == null || m.role() == null ? "" : m.role();
            role = switch (role) {
                case "developer", "system" -> "system";
                case "user", "assistant" -> role;
                default -> throw ApiProblem.badRequest("messages[" + i + "].role must be system, developer, user or "
                        + "assistant (got '" + role + "')");
            };
            String text = text(m.content(), i);
            if (text.length() > MAX_CONTENT_CHARS) {
                throw ApiProblem.badRequest("messages[" + i + "].content must be at most " + MAX_CONTENT_CHARS
                        + " characters");
            }
            prompt.add(new PromptMessage(role, text));
        }
        return prompt;
    }

    private static String text(JsonNode content, int index) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : (ArrayNode) content) {
                if (!"text".equals(part.path("type").asText())) {
                    throw ApiProblem.badRequest("messages[" + index + "].content: only text parts are supported");
                }
                sb.append(part.path("text").asText());
            }
            return sb.toString();
        }
        throw ApiProblem.badRequest("messages[" + index + "].content must be a string or an array of text parts");
    }
}
