package dev.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.parley.store.Table;

/** What copy-data shows while it works: a redrawn bar on a terminal, plain lines elsewhere, nothing on request. */
class ProgressTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String shown() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void barRedrawsOneLineWithPercentRateAndEta() {
        Progress p = new Progress(Progress.Mode.BAR, out);
        Table messages = Table.named("messages");
        p.tableStarted(messages, 1000, 0);
        p.batchCommitted(messages, 250);
        assertThat(shown()).startsWith("\rmessages").contains("[#######").contains(" 25% 250/1,000")
                .contains("rows/s").contains("ETA ").doesNotContain("\n");
        p.batchCommitted(messages, 750);
        p.tableFinished(messages);
        assertThat(shown()).contains("100% 1,000/1,000").contains("done").endsWith(System.lineSeparator());
    }

    @Test
    void linesModeSaysWhatItResumesAndPrintsPlainLines() {
        Progress p = new Progress(Progress.Mode.LINES, out);
        Table conversations = Table.named("conversations");
        p.tableStarted(conversations, 500, 200);
        p.batchCommitted(conversations, 300);
        p.tableFinished(conversations);
        assertThat(shown()).doesNotContain("\r")
                .contains("conversations: 500 rows to copy (200 already there, resuming)")
                .contains("conversations: 500/500 rows (100%)").contains("done");
    }

    @Test
    void noneShowsNothingAndUnknownModesAreRefused() {
        Progress p = new Progress(Progress.Mode.NONE, out);
        p.tableStarted(Table.named("tenants"), 10, 0);
        p.batchCommitted(Table.named("tenants"), 10);
        p.tableFinished(Table.named("tenants"));
        assertThat(shown()).isEmpty();
        assertThat(Progress.Mode.of("lines")).isEqualTo(Progress.Mode.LINES);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Progress.Mode.of("fancy"))
                .hasMessageContaining("auto, bar, lines or none");
    }
}
