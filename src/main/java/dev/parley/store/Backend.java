package dev.parley.store;

import java.util.Map;
import java.util.Optional;

import org.flywaydb.core.Flyway;

import io.smallrye.mutiny.Uni;

/**
 * The running server's database, as the start-up sequence, health, diagnostics and shutdown see it. Each adapter
 * implements all of it; the composition root ({@code ops.ActiveBackend}) picks one from {@link DatabaseUrl#backend()}
 * and nothing else knows which it is.
 */
public interface Backend {

    /** What this backend knows offline: connections, value codec, bulk copy, backups. */
    Dialect dialect();

    /**
     * Before migrations: whatever must hold before the database is touched (SQLite: the directory exists and this
     * process owns the file lock).
     *
     * @throws BackendUnavailable with a one-line reason
     */
    void prepare();

    /** Flyway on this backend's migration datasource and scripts. */
    Flyway flyway();

    /** After migrations: start what serves writes (SQLite: the writer thread). */
    void start();

    /** A trivial query on the path reads take; fails or never completes when the database does not answer. */
    Uni<Void> ping();

    /** Why writes may not be committing, as far as this backend can tell (e.g. a lock held by another process). */
    Optional<String> writeStallCause();

    /** This backend's section of the operator diagnostics: its write path and connection pools. */
    Map<String, Object> diagnostics();

    /** Whether the server takes its own scheduled backups here ({@code PARLEY_BACKUP_INTERVAL}; SQLite). */
    boolean takesScheduledBackups();

    /** The last step of a shutdown: commit what is queued, leave the database compact, release it. */
    void shutdown();
}
