package dev.parley.provider;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a server-sent-events byte stream into the payloads of its {@code data:} lines. Chunks may end anywhere,
 * even inside a multi-byte character, so bytes are kept until a line is complete.
 */
final class SseLines {

    private byte[] pending = new byte[0];

    List<String> feed(byte[] bytes) {
        byte[] all = new byte[pending.length + bytes.length];
        System.arraycopy(pending, 0, all, 0, pending.length);
        System.arraycopy(bytes, 0, all, pending.length, bytes.length);
        List<String> data = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < all.length; i++) {
            if (all[i] == '\n') {
                int end = i > start && all[i - 1] == '\r' ? i - 1 : i;
                String line = new String(all, start, end - start, StandardCharsets.UTF_8);
                if (line.startsWith("data:")) {
                    data.add(line.substring(line.length() > 5 && line.charAt(5) == ' ' ? 6 : 5));
                }
                start = i + 1;
            }
        }
        pending = java.util.Arrays.copyOfRange(all, start, all.length);
        return data;
    }
}
