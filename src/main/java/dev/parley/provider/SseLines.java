package dev.parley.provider;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a server-sent-events byte stream into the payloads of its {@code data:} lines. Chunks may end anywhere,
 * even inside a multi-byte character, so bytes are kept until a line is complete.
 */
final class SseLines {

    private static final byte[] NONE = new byte[0];
    private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);

    private byte[] pending = NONE;

    List<String> feed(byte[] bytes) {
        byte[] all = bytes;
        if (pending.length > 0) {
            all = new byte[pending.length + bytes.length];
            System.arraycopy(pending, 0, all, 0, pending.length);
            System.arraycopy(bytes, 0, all, pending.length, bytes.length);
        }
        List<String> data = new ArrayList<>(2);
        int start = 0;
        for (int i = 0; i < all.length; i++) {
            if (all[i] == '\n') {
                int end = i > start && all[i - 1] == '\r' ? i - 1 : i;
                if (Arrays.equals(all, start, Math.min(start + DATA.length, end), DATA, 0, DATA.length)) {
                    int from = start + DATA.length;
                    if (from < end && all[from] == ' ') {
                        from++;
                    }
                    data.add(new String(all, from, end - from, StandardCharsets.UTF_8));
                }
                start = i + 1;
            }
        }
        pending = start == all.length ? NONE : Arrays.copyOfRange(all, start, all.length);
        return data;
    }
}
