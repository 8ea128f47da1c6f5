package dev.parley.ops.data;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.parley.store.Table;
import dev.parley.store.Timestamps;

/**
 * The canonical bytes of a row, computed from logical values, so that the same data gives the same bytes whichever
 * database it was read from: ids as lower-case text, instants as epoch microseconds, booleans as t/f, text as
 * length-prefixed UTF-8, and JSON re-serialised with sorted keys and normalised numbers (PostgreSQL's jsonb reorders
 * keys and respaces; SQLite keeps the text as written).
 */
final class RowCanon {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    private RowCanon() {
    }

    static byte[] encode(Table table, Object[] row) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        for (int i = 0; i < row.length; i++) {
            Object v = row[i];
            if (v == null) {
                out.write('N');
                continue;
            }
            switch (table.columns().get(i).type()) {
                case ID -> text(out, 'I', ((UUID) v).toString());
                case TEXT -> text(out, 'T', (String) v);
                case JSON -> text(out, 'J', canonicalJson((String) v));
                case INSTANT -> text(out, 'D', Long.toString(Timestamps.toMicros((Instant) v)));
                case BOOLEAN -> out.write((Boolean) v ? 't' : 'f');
                case INTEGER -> text(out, 'L', v.toString());
            }
        }
        return out.toByteArray();
    }

    private static void text(ByteArrayOutputStream out, char tag, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(tag);
        out.writeBytes(Integer.toString(b.length).getBytes(StandardCharsets.US_ASCII));
        out.write(':');
        out.writeBytes(b);
    }

    static String canonicalJson(String text) {
        try {
            StringBuilder sb = new StringBuilder(text.length());
            write(sb, JSON.readTree(text));
            return sb.toString();
        } catch (JsonProcessingException e) {
            return "invalid:" + text;
        }
    }

    private static void write(StringBuilder sb, JsonNode node) throws JsonProcessingException {
        if (node.isObject()) {
            List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
            node.fields().forEachRemaining(fields::add);
            fields.sort(Map.Entry.comparingByKey());
            sb.append('{');
            for (int i = 0; i < fields.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(JSON.writeValueAsString(fields.get(i).getKey())).append(':');
                write(sb, fields.get(i).getValue());
            }
            sb.append('}');
        } else if (node.isArray()) {
            sb.append('[');
            Iterator<JsonNode> it = node.elements();
            boolean first = true;
            while (it.hasNext()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                write(sb, it.next());
            }
            sb.append(']');
        } else if (node.isNumber()) {
            BigDecimal d = node.decimalValue();
            sb.append(d.signum() == 0 ? "0" : d.stripTrailingZeros().toString());
        } else {
            sb.append(JSON.writeValueAsString(node));
        }
    }
}
