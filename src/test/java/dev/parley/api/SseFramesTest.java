package dev.parley.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;

/** The per-token events, written without a serializer, are what Jackson writes for the same value. */
class SseFramesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Property(tries = 2000)
    void aDeltaIsWhatJacksonWrites(@ForAll @Chars({ '"', '\\', '/', '\n', '\r', '\t', '\u0000', '\u001f', '\u007f',
            '\u2028', '<', 'é' }) @CharRange(from = 'a', to = 'c') @CharRange(from = '\uD83D', to = '\uD83D')
            @CharRange(from = '\uDE00', to = '\uDE01') String text) throws Exception {
        assertThat(SseFrames.textEvent("delta", "{\"text\":", text, "}"))
                .isEqualTo(SseFrames.event("delta", JSON.writeValueAsString(Map.of("text", text))));
        assertThat(SseFrames.textEvent(null, "{\"choices\":[{\"delta\":{\"content\":", text, "}}]}"))
                .isEqualTo(SseFrames.event(null, JSON.writeValueAsString(
                        Map.of("choices", java.util.List.of(Map.of("delta", Map.of("content", text)))))));
    }
}
