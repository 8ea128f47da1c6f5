package dev.parley.ops.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.output.MigrateResult;

import dev.parley.store.Dialect;

/**
 * Applies pending migrations the one way Parley does it, at start-up and from {@code parley migrate}: all pending
 * migrations in one transaction (so a failure leaves the schema exactly as it was), after a backup of an existing
 * database where the backend takes one itself ({@link Dialect#backupBeforeMigration}).
 */
public final class Migrations {

    /** A migration failed; the message is one line and names the backup when one was taken. */
    public static final class Failed extends RuntimeException {
        public Failed(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    public record Pending(String version, String description, String script) {
        @Override
        public String toString() {
            return "V" + version + " " + description + " (" + script + ")";
        }
    }

    public record Outcome(List<Pending> applied, String schemaVersion, Path backup) {
    }

    private Migrations() {
    }

    /** Where a database stands: its schema version ("none" for an empty one) and what is pending. */
    public record Plan(String currentVersion, List<Pending> pending) {
    }

    /** Reads the database's migration history once. */
    public static Plan plan(Flyway flyway) {
        MigrationInfoService info = flyway.info();
        return new Plan(version(info.current()), Arrays.stream(info.pending())
                .map(i -> new Pending(i.getVersion().getVersion(), i.getDescription(), i.getScript())).toList());
    }

    public static String currentVersion(Flyway flyway) {
        return version(flyway.info().current());
    }

    private static String version(MigrationInfo current) {
        return current == null || current.getVersion() == null ? "none" : current.getVersion().getVersion();
    }

    public static Outcome apply(Flyway configured, Supplier<Optional<Dialect.Backup>> backupFirst,
            Consumer<String> log) {
        return apply(configured, plan(configured), backupFirst, log);
    }

    /**
     * Applies what {@code plan} (read from the same database) found pending. A database that already has a schema
     * is backed up by {@code backupFirst} before anything changes (the backends that take no backup of their own give
     * none).
     */
    public static Outcome apply(Flyway configured, Plan plan, Supplier<Optional<Dialect.Backup>> backupFirst,
            Consumer<String> log) {
        List<Pending> pending = plan.pending();
        if (pending.isEmpty()) {
            return new Outcome(List.of(), plan.currentVersion(), null);
        }
        Flyway flyway = Flyway.configure(configured.getConfiguration().getClassLoader())
                .configuration(configured.getConfiguration()).group(true).load();
        Path backup = null;
        if (!"none".equals(plan.currentVersion())) {
            Optional<Dialect.Backup> taken = backupFirst.get();
            if (taken.isPresent()) {
                backup = Path.of(taken.get().location());
                log.accept("Backed up the database to " + backup + " before applying migrations");
                for (Path old : taken.get().pruned()) {
                    log.accept("Deleted old backup " + old);
                }
            }
        }
        MigrateResult result;
        try {
            result = flyway.migrate();
        } catch (FlywayException e) {
            String first = String.valueOf(e.getMessage()).lines().filter(l -> !l.isBlank()).findFirst().orElse("");
            throw new Failed(first + (backup == null ? "" : "; the database was left as it was, backup " + backup),
                    e);
        }
        // Replicas starting together all see the same pending list; Flyway's lock lets one apply it, and the others
        // find nothing left to do. Report what this process applied.
        List<Pending> applied = result.migrations.stream()
                .map(m -> new Pending(m.version, m.description, m.filepath)).toList();
        log.accept(applied.isEmpty() ? "Migrations " + pending.stream().map(Pending::version).toList()
                + " were applied by another process" : "Applied migrations " + applied.stream()
                        .map(Pending::version).toList());
        // Flyway applies in version order, so the last one applied is the schema's version now; asking the history
        // again would cost one more pass over the database and the scripts at every start that migrates.
        String version = applied.stream().map(Pending::version).filter(v -> v != null && !v.isEmpty())
                .reduce((first, last) -> last).orElseGet(() -> currentVersion(flyway));
        return new Outcome(applied, version, backup);
    }
}
