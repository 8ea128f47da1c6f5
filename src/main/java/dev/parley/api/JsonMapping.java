package dev.parley.api;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.JsonNodeDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;

import dev.parley.store.StorableText;
import io.quarkus.jackson.ObjectMapperCustomizer;

/**
 * The one JSON mapper configuration.
 * <ul>
 * <li>Characters outside the Basic Multilingual Plane (emoji, many CJK ideographs) are written as UTF-8, not as
 * escaped surrogate pairs, which is what Jackson does by default: both are valid JSON, but the escapes break naive
 * clients and double the size of emoji-heavy replies.</li>
 * <li>No request text may hold what a database cannot store ({@link StorableText}): a NUL or an unpaired surrogate in
 * any string or JSON document is refused while the body is read, so both backends answer the same 400 and store
 * nothing. This holds for every Jackson read in the process (Vert.x's {@code JsonObject} uses this mapper too), so
 * code that reads foreign JSON that may carry such text, an upstream's reply, uses a mapper of its own and sanitizes
 * what it keeps.</li>
 * </ul>
 */
@Singleton
public class JsonMapping implements ObjectMapperCustomizer {

    /** A request string that no database stores; answered as a 400 {@code invalid-request}. */
    static final class UnstorableText extends JsonMappingException {
        UnstorableText(JsonParser parser, String what) {
            super(parser, "must not contain " + what);
        }
    }

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.getFactory().enable(JsonGenerator.Feature.COMBINE_UNICODE_SURROGATES_IN_UTF8);
        SimpleModule storable = new SimpleModule("storable-text");
        storable.addDeserializer(String.class, new StorableStrings());
        storable.addDeserializer(JsonNode.class, new StorableJson());
        mapper.registerModule(storable);
    }

    private static void check(JsonParser p, String s) throws UnstorableText {
        int bad = StorableText.firstUnstorable(s);
        if (bad >= 0) {
            throw new UnstorableText(p, StorableText.describe(s, bad));
        }
    }

    private static final class StorableStrings extends StdScalarDeserializer<String> {
        StorableStrings() {
            super(String.class);
        }

        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String s = StringDeserializer.instance.deserialize(p, ctxt);
            if (s != null) {
                check(p, s);
            }
            return s;
        }
    }

    private static final class StorableJson extends JsonDeserializer<JsonNode> {
        private final JsonDeserializer<? extends JsonNode> nodes = JsonNodeDeserializer.getDeserializer(JsonNode.class);

        @Override
        public JsonNode deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode node = nodes.deserialize(p, ctxt);
            walk(p, node);
            return node;
        }

        /** {@code "field": null} is a JSON null, as Jackson's own node deserializer has it. */
        @Override
        public JsonNode getNullValue(DeserializationContext ctxt) {
            return com.fasterxml.jackson.databind.node.NullNode.getInstance();
        }

        /** A field that is not there at all is null, so that "absent" and "null" stay distinct. */
        @Override
        public Object getAbsentValue(DeserializationContext ctxt) {
            return null;
        }

        private static void walk(JsonParser p, JsonNode node) throws UnstorableText {
            if (node.isTextual()) {
                check(p, node.textValue());
            } else if (node.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                    Map.Entry<String, JsonNode> field = it.next();
                    check(p, field.getKey());
                    walk(p, field.getValue());
                }
            } else if (node.isArray()) {
                for (JsonNode element : node) {
                    walk(p, element);
                }
            }
        }
    }
}
