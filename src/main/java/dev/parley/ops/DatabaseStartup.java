package dev.parley.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.flywaydb.core.Flyway;
import org.jboss.logging.Logger;

import dev.parley.ops.data.Migrations;
import dev.parley.ops.data.SqliteBackups;
import dev.parley.store.sqlite.SqliteWriter;
import io.quarkus.flyway.FlywayDataSource;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;

/**
 * The start-up sequence, in this order: check the database URL, (SQLite) create the directory and take the file lock,
 * apply migrations, start the writer, then announce {@link DatabaseReady}. Any failure is one log line and a non-zero
 * exit, never a stack trace.
 */
@ApplicationScoped
public class DatabaseStartup {

    private static final Logger LOG = Logger.getLogger(DatabaseStartup.class);

    @Inject
    ActiveBackend backend;

    @Inject
    @Any
    Instance<Flyway> flyways;

    @Inject
    SqliteWriter writer;

    @Inject
    Event<DatabaseReady> ready;

    @ConfigProperty(name = "parley.migrate-on-startup", defaultValue = "true")
    boolean migrateOnStartup;

    @Inject
    BackupSettings backups;

    private volatile boolean migrated;
    private volatile String schemaVersion = "none";
    private volatile String failure;
    private SqliteFileLock lock;

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
        backend.urlError().ifPresent(message -> {
            throw new StartupFailure(StartupFailure.BAD_CONFIGURATION, message);
        });
        if (backend.isSqlite()) {
            prepareSqliteFile(backend.sqlitePath());
        }
        migrate();
        if (backend.isSqlite()) {
            writer.start();
        }
        LOG.infof("Database ready: %s, schema version %s", backend.description(), schemaVersion);
        ready.fire(new DatabaseReady(backend.id()));
    }

    private void prepareSqliteFile(Path db) {
        try {
            Files.createDirectories(db.getParent());
        } catch (IOException e) {
            throw new StartupFailure(StartupFailure.BAD_CONFIGURATION,
                    "Cannot create directory " + db.getParent() + " for the SQLite database: " + e);
        }
        try {
            lock = SqliteFileLock.acquire(db);
        } catch (IllegalStateException e) {
            throw new StartupFailure(StartupFailure.DATABASE_UNAVAILABLE, e.getMessage());
        } catch (IOException e) {
            throw new StartupFailure(StartupFailure.DATABASE_UNAVAILABLE,
                    "Cannot lock SQLite database " + db + ": " + e.getMessage());
        }
    }

    private void migrate() {
        Flyway flyway = backend.isSqlite()
                ? flyways.select(FlywayDataSource.FlywayDataSourceLiteral.of("sqlitewriter")).get()
                : flyways.select(FlywayDataSource.FlywayDataSourceLiteral.of("pgjdbc")).get();
        try {
            Migrations.Plan plan = Migrations.plan(flyway);
            if (!plan.pending().isEmpty() && !migrateOnStartup) {
                throw new StartupFailure(StartupFailure.MIGRATION_FAILED, "Database schema needs migrations "
                        + plan.pending().stream().map(Migrations.Pending::version).toList()
                        + " and MIGRATE_ON_STARTUP=false; run the migrate command first");
            }
            SqliteBackups.Policy policy = backend.isSqlite() ? backups.policy(backend.sqlitePath()) : null;
            schemaVersion = Migrations.apply(flyway, plan, policy, LOG::info).schemaVersion();
            migrated = true;
        } catch (StartupFailure e) {
            throw e;
        } catch (RuntimeException e) {
            throw classify(e);
        }
    }

    private StartupFailure classify(RuntimeException e) {
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
        String where = backend.description();
        String reason = (root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage())
                .replaceAll("\\s+", " ").trim();
        if (connection) {
            return new StartupFailure(StartupFailure.DATABASE_UNAVAILABLE, "Cannot connect to " + where + ": " + reason);
        }
        String firstLine = (e.getMessage() == null ? reason : e.getMessage()).lines().findFirst().orElse(reason);
        return new StartupFailure(StartupFailure.MIGRATION_FAILED, "Migration of " + where + " failed: " + firstLine
                + (firstLine.contains(reason) ? "" : " (" + reason + ")"));
    }

    /** The last step of {@link GracefulShutdown}: the SQLite writer commits what is queued, then the lock is released. */
    void closeDatabase() {
        if (backend.isSqlite()) {
            writer.stop();
            if (lock != null) {
                try {
                    lock.close();
                } catch (IOException e) {
                    LOG.warnf("Could not release SQLite lock file: %s", e.getMessage());
                }
            }
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
