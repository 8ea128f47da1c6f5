package dev.parley.api;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
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

    /**
     * An event whose data is {@code before}, {@code text} as a JSON string, then {@code after}: the JSON of a small
     * fixed shape around one string, written without a serializer (the escaping is Jackson's own).
     */
    static String textEvent(String name, String before, String text, String after) {
        char[] quoted = JsonStringEncoder.getInstance().quoteAsString(text);
        StringBuilder event = new StringBuilder((name == null ? 0 : name.length() + 8) + before.length()
                + quoted.length + after.length() + 10);
        if (name != null) {
            event.append("event: ").append(name).append('\n');
        }
        return event.append("data: ").append(before).append('"').append(quoted).append('"').append(after)
                .append("\n\n").toString();
    }

    static String json(ObjectMapper mapper, Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }
}
