package dev.parley.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The upstream's chunks as {@link OpenAiUpstream#parseChunk} reads them, with Jackson's streaming parser, against the
 * tree reading it replaced ({@link #byTree}), over chunks of OpenAI's shape and every way of departing from it:
 * missing, null, repeated and misplaced fields, other types, extra choices, numbers as text.
 */
class UpstreamChunkTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the tree reading took from a chunk, in the same terms (null text for none, -1 counts for no usage). */
    record Read(boolean error, String text, String finishReason, boolean usage, int promptTokens,
            int completionTokens) {
    }

    /** The reading before the streaming parser, as it was: the oracle. */
    static Read byTree(String data) throws IOException {
        JsonNode chunk = JSON.readTree(data);
        if (chunk.has("error")) {
            return new Read(true, null, null, false, -1, -1);
        }
        String text = null;
        String reason = null;
        JsonNode choice = chunk.path("choices").path(0);
        if (choice.isObject()) {
            JsonNode t = choice.path("delta").path("content");
            if (t.isTextual() && !t.textValue().isEmpty()) {
                text = t.textValue();
            }
            if (choice.path("finish_reason").isTextual()) {
                reason = choice.path("finish_reason").textValue();
            }
        }
        JsonNode usage = chunk.path("usage");
        if (usage.isObject()) {
            return new Read(false, text, reason, true, usage.path("prompt_tokens").asInt(0),
                    usage.path("completion_tokens").asInt(0));
        }
        return new Read(false, text, reason, false, -1, -1);
    }

    static Read byStream(String data) throws IOException {
        OpenAiUpstream.Chunk c = OpenAiUpstream.parseChunk(data);
        if (c.error) {
            return new Read(true, null, null, false, -1, -1);
        }
        String text = c.choiceSeen && c.text != null && !c.text.isEmpty() ? c.text : null;
        String reason = c.choiceSeen ? c.finishReason : null;
        return c.usage ? new Read(false, text, reason, true, c.promptTokens, c.completionTokens)
                : new Read(false, text, reason, false, -1, -1);
    }

    @Property(tries = 3000)
    void readsEveryChunkAsTheTreeDid(@ForAll("chunks") String data) throws IOException {
        assertThat(byStream(data)).as(data).isEqualTo(byTree(data));
    }

    @Test
    void aTypicalStreamReadsItsTextThenItsEndThenItsUsage() throws IOException {
        assertThat(byStream("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi \\\"there\\\" \\u00e9\"},"
                + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}"))
                .isEqualTo(new Read(false, "Hi \"there\" é", null, false, -1, -1));
        assertThat(byStream("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}"))
                .isEqualTo(new Read(false, null, "length", false, -1, -1));
        assertThat(byStream("{\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":40,"
                + "\"total_tokens\":52,\"prompt_tokens_details\":{\"cached_tokens\":0}}}"))
                .isEqualTo(new Read(false, null, null, true, 12, 40));
        assertThat(byStream("{\"error\":{\"message\":\"overloaded\"}}").error()).isTrue();
    }

    @Test
    void malformedJsonFailsAsTheTreeDid() {
        for (String bad : List.of("{\"choices\":[{\"delta\":{\"content\":\"a\"}}", "{\"choices\":", "{choices:1}",
                "{\"a\":1,}", "nope")) {
            assertThatThrownBy(() -> byTree(bad)).as(bad).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> byStream(bad)).as(bad).isInstanceOf(IOException.class);
        }
    }

    @Test
    void linesAreSplitWhereverTheBytesEnd() {
        byte[] stream = ("data: {\"a\":\"é\"}\r\n\r\n: comment\ndata:[DONE]\n\nevent: x\ndata: \n\ndata:  two\n")
                .getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= stream.length; cut++) {
            for (int cut2 = cut; cut2 <= stream.length; cut2 += 3) {
                SseLines lines = new SseLines();
                List<String> data = new ArrayList<>(lines.feed(java.util.Arrays.copyOfRange(stream, 0, cut)));
                data.addAll(lines.feed(java.util.Arrays.copyOfRange(stream, cut, cut2)));
                data.addAll(lines.feed(java.util.Arrays.copyOfRange(stream, cut2, stream.length)));
                assertThat(data).as("cut at %d and %d", cut, cut2).containsExactly("{\"a\":\"é\"}", "[DONE]", "",
                        " two");
            }
        }
    }

    @Provide
    Arbitrary<String> chunks() {
        Arbitrary<String> scalar = Arbitraries.of("null", "true", "false", "0", "7", "-3", "2.9", "1e3",
                "12345678901", "\"\"", "\"x\"", "\"12\"", "\"é \\\" \\\\ \\n 😀\"", "{}", "[]", "[1,{\"content\":\"in\"}]");
        Arbitrary<String> content = Arbitraries.oneOf(scalar, Arbitraries.strings().ofMaxLength(6)
                .map(s -> quote(s)));
        Arbitrary<String> delta = field(Arbitraries.of("content", "role", "tool_calls", "refusal"), content)
                .list().ofMaxSize(3).map(UpstreamChunkTest::object);
        Arbitrary<String> choiceField = Arbitraries.oneOf(
                delta.map(d -> "\"delta\":" + d),
                scalar.map(v -> "\"delta\":" + v),
                Arbitraries.of("\"stop\"", "\"length\"", "null", "1", "{}").map(v -> "\"finish_reason\":" + v),
                scalar.map(v -> "\"index\":" + v),
                scalar.map(v -> "\"logprobs\":" + v));
        Arbitrary<String> choice = choiceField.list().ofMaxSize(4).map(UpstreamChunkTest::object);
        Arbitrary<String> choices = Arbitraries.oneOf(
                Arbitraries.oneOf(choice, scalar).list().ofMaxSize(3).map(l -> "[" + String.join(",", l) + "]"),
                scalar);
        Arbitrary<String> usage = Arbitraries.oneOf(
                field(Arbitraries.of("prompt_tokens", "completion_tokens", "total_tokens"), scalar).list()
                        .ofMaxSize(4).map(UpstreamChunkTest::object),
                scalar);
        Arbitrary<String> top = Arbitraries.oneOf(
                choices.map(c -> "\"choices\":" + c),
                usage.map(u -> "\"usage\":" + u),
                scalar.map(v -> "\"error\":" + v).injectNull(0.0),
                scalar.map(v -> "\"id\":" + v),
                choice.map(v -> "\"object\":" + v));
        Arbitrary<String> object = top.list().ofMaxSize(5).map(UpstreamChunkTest::object);
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(12, object), net.jqwik.api.Tuple.of(1, scalar),
                net.jqwik.api.Tuple.of(1, choices));
    }

    private static Arbitrary<String> field(Arbitrary<String> names, Arbitrary<String> values) {
        return net.jqwik.api.Combinators.combine(names, values).as((n, v) -> "\"" + n + "\":" + v);
    }

    private static String object(List<String> fields) {
        return "{" + String.join(",", fields) + "}";
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
