package dev.parley.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

import org.junit.jupiter.api.Test;

/** Cursors over lists keyed by Stripe's text ids. */
class TextCursorTest {

    @Test
    void aCursorReadsBackAsIssued() {
        TextCursor c = TextCursor.of(Instant.parse("2026-11-23T10:00:00.123456789Z"), "evt_1QaZ09_x");
        assertThat(TextCursor.decode(c.encode())).isEqualTo(c);
        assertThat(c.at()).isEqualTo(Instant.parse("2026-11-23T10:00:00.123456Z"));
    }

    @Test
    void aCursorWhoseIdIsNotAStripeIdIsRefused() {
        for (String id : new String[] { "evt'; --", "evt\u0000x", "évt", "evt x" }) {
            byte[] text = id.getBytes(StandardCharsets.UTF_8);
            String forged = Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(ByteBuffer.allocate(8 + text.length).putLong(0).put(text).array());
            assertThatThrownBy(() -> TextCursor.decode(forged)).as(id).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> TextCursor.decode("!!")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TextCursor.decode("AAAA")).isInstanceOf(IllegalArgumentException.class);
    }
}
