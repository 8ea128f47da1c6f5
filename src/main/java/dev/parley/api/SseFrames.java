package dev.parley.api;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Server-sent-event framing and the headers of streamed and whole replies. */
final class SseFrames {

    static final Map<String, List<String>> SSE_HEADERS = Map.of("Content-Type", List.of("text/event-stream"),
            "Cache-Control", List.of("no-cache"), "X-Accel-Buffering", List.of("no"));
    static final Map<String, List<String>> JSON_HEADERS = Map.of("Content-Type", List.of("application/json"));
    static final Map<String, List<String>> PROBLEM_HEADERS = Map.of("Content-Type", List.of(Problem.MEDIA_TYPE));

    private SseFrames() {
    }

    /** One event; {@code name} may be null for unnamed (OpenAI-style) events. */
    static String event(String name, String data) {
        return (name == null ? "" : "event: " + name + "\n") + "data: " + data + "\n\n";
    }

    static String json(ObjectMapper mapper, Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }
}
