package dev.parley.cli;

import java.io.PrintStream;
import java.time.Duration;

import dev.parley.ops.data.CopyData;
import dev.parley.store.Table;

/**
 * Shows a copy's progress on stderr: a redrawn bar with rows/s and ETA on a terminal, a plain line every few seconds
 * otherwise (logs, CI, {@code kubectl logs}), or nothing.
 */
final class Progress implements CopyData.Listener {

    enum Mode {
        BAR, LINES, NONE;

        static Mode of(String value) {
            return switch (value) {
                case "auto" -> System.console() != null ? BAR : LINES;
                case "bar" -> BAR;
                case "lines" -> LINES;
                case "none" -> NONE;
                default -> throw CommandLine.Failure.usage(
                        "copy-data: --progress must be auto, bar, lines or none (got '" + value + "')");
            };
        }
    }

    private static final long BAR_EVERY_NANOS = Duration.ofMillis(200).toNanos();
    private static final long LINE_EVERY_NANOS = Duration.ofSeconds(5).toNanos();

    private final Mode mode;
    private final PrintStream out;
    private String table;
    private long total;
    private long done;
    private long copiedThisRun;
    private long startNanos;
    private long lastShown;

    Progress(Mode mode, PrintStream out) {
        this.mode = mode;
        this.out = out;
    }

    @Override
    public void tableStarted(Table t, long sourceRows, long alreadyCopied) {
        table = t.name();
        total = sourceRows;
        done = Math.min(alreadyCopied, sourceRows);
        copiedThisRun = 0;
        startNanos = System.nanoTime();
        lastShown = mode == Mode.LINES ? startNanos : 0;
        if (mode == Mode.LINES) {
            out.printf("%s: %,d rows to copy%s%n", table, sourceRows,
                    alreadyCopied > 0 ? String.format(" (%,d already there, resuming)", alreadyCopied) : "");
        }
    }

    @Override
    public void batchCommitted(Table t, int rows) {
        done += rows;
        copiedThisRun += rows;
        long now = System.nanoTime();
        long every = mode == Mode.BAR ? BAR_EVERY_NANOS : LINE_EVERY_NANOS;
        if (mode != Mode.NONE && now - lastShown >= every) {
            lastShown = now;
            show(false);
        }
    }

    @Override
    public void tableFinished(Table t) {
        if (mode != Mode.NONE) {
            show(true);
        }
    }

    private void show(boolean finished) {
        double seconds = Math.max((System.nanoTime() - startNanos) / 1e9, 1e-3);
        double rate = copiedThisRun / seconds;
        long left = Math.max(total - done, 0);
        String eta = finished ? "done" : rate > 0 ? "ETA " + clock((long) (left / rate)) : "ETA --:--";
        int pct = total == 0 ? 100 : (int) Math.min(100, done * 100 / total);
        if (mode == Mode.BAR) {
            int width = 30;
            int filled = pct * width / 100;
            out.printf("\r%-14s [%s%s] %3d%% %,d/%,d  %,.0f rows/s  %s   ", table, "#".repeat(filled),
                    " ".repeat(width - filled), pct, done, total, rate, eta);
            if (finished) {
                out.println();
            }
        } else {
            out.printf("%s: %,d/%,d rows (%d%%), %,.0f rows/s, %s%n", table, done, total, pct, rate, eta);
        }
        out.flush();
    }

    private static String clock(long seconds) {
        return seconds >= 3600 ? String.format("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
                : String.format("%d:%02d", seconds / 60, seconds % 60);
    }
}
