package dev.parley.ops;

import java.sql.SQLException;
import java.util.Optional;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import org.flywaydb.core.Flyway;
import org.jboss.logging.Logger;

import dev.parley.auth.Tenants;
import dev.parley.billing.Plans;
import dev.parley.ops.data.Migrations;
import dev.parley.provider.ModelAccess;
import dev.parley.provider.UpstreamKeyEncryption;
import dev.parley.store.Backend;
import dev.parley.store.BackendUnavailable;
import dev.parley.store.DatabaseReady;
import dev.parley.store.DatabaseUrl;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;

/**
 * The start-up sequence, in this order: check the database URL, let the backend prepare (SQLite: directory and file
 * lock), apply migrations, start the backend's write path, then announce {@link DatabaseReady}. Any failure is one
 * log line and a non-zero exit ({@link ExitCode}), never a stack trace.
 */
@ApplicationScoped
public class DatabaseStartup {

    private static final Logger LOG = Logger.getLogger(DatabaseStartup.class);

    private final ActiveBackend active;
    private final Instance<Backend> backend;
    private final Event<DatabaseReady> ready;
    private final StartupSettings settings;
    private final BackupSettings backups;

    private volatile boolean migrated;
    private final Plans plans;
    private volatile String schemaVersion = "none";
    private volatile String failure;
    private volatile boolean prepared;

    DatabaseStartup(ActiveBackend active, Instance<Backend> backend, Event<DatabaseReady> ready,
            StartupSettings settings, BackupSettings backups, Plans plans) {
        this.plans = plans;
        this.active = active;
        this.backend = backend;
        this.ready = ready;
        this.settings = settings;
        this.backups = backups;
    }

    void onStart(@Observes @Priority(10) StartupEvent event) {
        try {
            start();
        } catch (StartupFailure e) {
            failure = e.getMessage();
            LOG.error(e.getMessage());
            Quarkus.asyncExit(e.exitCode());
        }
    }

    private void start() {
        plans.misconfiguration().ifPresent(problem -> {
            throw new StartupFailure(ExitCode.INVALID, problem);
        });
        DatabaseUrl url;
        try {
            url = active.url();
        } catch (DatabaseUrl.Invalid e) {
            throw new StartupFailure(ExitCode.INVALID, e.getMessage());
        }
        Backend db = backend.get();
        try {
            db.prepare();
        } catch (BackendUnavailable e) {
            throw new StartupFailure(e.configuration() ? ExitCode.INVALID : ExitCode.DATABASE_UNAVAILABLE,
                    e.getMessage());
        }
        prepared = true;
        migrate(db, url);
        db.start();
        LOG.infof("Database ready: %s, schema version %s", url.describe(), schemaVersion);
        try {
            ready.fire(new DatabaseReady());
        } catch (Tenants.UnsafeKey | ModelAccess.MissingKey | UpstreamKeyEncryption.InvalidKey e) {
            throw new StartupFailure(ExitCode.INVALID, e.getMessage());
        }
    }

    private void migrate(Backend db, DatabaseUrl url) {
        Flyway flyway = db.flyway();
        try {
            if (settings.migrateOnStartup() && !Migrations.hasHistory(flyway)) {
                // a new database: every migration, without reading the scripts once more for a plan first
                schemaVersion = Migrations.applyAll(flyway, LOG::info).schemaVersion();
                migrated = true;
                return;
            }
            Optional<String> upToDate = Migrations.upToDate(flyway);
            if (upToDate.isPresent()) {
                // a restart: every packaged migration is in the history, so no plan (no script read) is needed
                schemaVersion = upToDate.get();
                migrated = true;
                return;
            }
            Migrations.Plan plan = Migrations.plan(flyway);
            if (!plan.pending().isEmpty() && !settings.migrateOnStartup()) {
                throw new StartupFailure(ExitCode.MIGRATION_FAILED, "Database schema needs migrations "
                        + plan.pending().stream().map(Migrations.Pending::version).toList()
                        + " and MIGRATE_ON_STARTUP=false; run the migrate command first");
            }
            schemaVersion = Migrations.apply(flyway, plan, () -> db.dialect().backupBeforeMigration(backups.policy()),
                    LOG::info).schemaVersion();
            migrated = true;
        } catch (StartupFailure e) {
            throw e;
        } catch (RuntimeException e) {
            throw classify(e, url);
        }
    }

    private static StartupFailure classify(RuntimeException e, DatabaseUrl url) {
        Throwable root = e;
        boolean connection = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            root = t;
            if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")) {
                connection = true;
            }
            if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException) {
                connection = true;
            }
        }
        String where = url.describe();
        String reason = (root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage())
                .replaceAll("\\s+", " ").trim();
        if (connection) {
            return new StartupFailure(ExitCode.DATABASE_UNAVAILABLE, "Cannot connect to " + where + ": " + reason);
        }
        String firstLine = (e.getMessage() == null ? reason : e.getMessage()).lines().findFirst().orElse(reason);
        return new StartupFailure(ExitCode.MIGRATION_FAILED, "Migration of " + where + " failed: " + firstLine
                + (firstLine.contains(reason) ? "" : " (" + reason + ")"));
    }

    /** The last step of {@link GracefulShutdown}: the backend commits what is queued and lets the database go. */
    void closeDatabase() {
        if (prepared) {
            backend.get().shutdown();
        }
    }

    public boolean migrated() {
        return migrated;
    }

    public String schemaVersion() {
        return schemaVersion;
    }

    /** Why start-up failed, if it did. */
    public String failure() {
        return failure;
    }
}
