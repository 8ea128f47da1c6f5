package dev.parley.store.sqlite;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** SQLite settings ({@code PARLEY_SQLITE_*}), read by the server and by the operations commands alike. */
@ConfigMapping(prefix = "parley.sqlite")
public interface SqliteSettings {

    /** {@code busy_timeout} on every connection, in milliseconds. */
    @WithDefault("30000")
    long busyTimeoutMs();

    /** {@code synchronous}: NORMAL is durable in WAL mode except on an OS crash or power loss; FULL for that too. */
    @WithDefault("NORMAL")
    String synchronous();

    /** Reader connections, and reader threads. */
    @WithDefault("4")
    int readers();

    Writer writer();

    /** Passive WAL checkpoint interval (never blocks). */
    @WithDefault("10s")
    Duration checkpointInterval();

    /** Truncating WAL checkpoint interval, run when no write waits. */
    @WithDefault("60s")
    Duration truncateInterval();

    /** {@code journal_size_limit}: the WAL shrinks back to this after checkpoints. */
    @WithDefault("67108864")
    long walSizeLimitBytes();

    interface Writer {
        /** Queued writes before the API answers 503. */
        @WithDefault("10000")
        int queueCapacity();

        /** Most writes committed in one transaction. */
        @WithDefault("512")
        int maxBatch();

        /** How long the writer waits for a write lock held by another process. */
        @WithDefault("60s")
        Duration lockTimeout();
    }
}
