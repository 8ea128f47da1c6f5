package dev.parley.ops.data;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.ResourceProvider;
import org.flywaydb.core.api.configuration.Configuration;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.resource.LoadableResource;
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
    public static Outcome apply(Flyway flyway, Plan plan, Supplier<Optional<Dialect.Backup>> backupFirst,
            Consumer<String> log) {
        List<Pending> pending = plan.pending();
        if (pending.isEmpty()) {
            return new Outcome(List.of(), plan.currentVersion(), null);
        }
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
        return migrate(flyway, backup, pending, log);
    }

    /**
     * Whether the database has a migration history table (Flyway's, in any schema): without one it is empty, or at
     * least holds nothing of Parley's, and every migration is pending. One catalogue lookup, where
     * {@link #plan} reads and checksums every script.
     */
    public static boolean hasHistory(Flyway flyway) {
        try (Connection c = flyway.getConfiguration().getDataSource().getConnection();
                ResultSet tables = c.getMetaData().getTables(null, null, flyway.getConfiguration().getTable(), null)) {
            return tables.next();
        } catch (SQLException e) {
            throw new FlywayException("Cannot read the database's tables: " + e.getMessage(), e);
        }
    }

    /**
     * The schema version of a database on which every migration packaged for it has been applied, read from its
     * history table in one query, or empty when one may be pending or failed, or when the packaged scripts cannot be
     * listed without reading them (a Flyway instance without a {@link ResourceProvider}, as the commands build it):
     * the caller then reads {@link #plan}. So a restart on an up-to-date database reads no script: Flyway's plan reads
     * and checksums every one, a tenth of the main thread's start-up (bench/README.md, StartupTime). Conservative: a
     * repeatable script, a baseline, or any history row that did not succeed leaves the decision to the plan. The
     * scripts' checksums are not compared here, as the plan does not compare them either.
     */
    public static Optional<String> upToDate(Flyway flyway) {
        Configuration config = flyway.getConfiguration();
        ResourceProvider scripts = config.getResourceProvider();
        if (scripts == null || !scripts.getResources(config.getRepeatableSqlMigrationPrefix(),
                config.getSqlMigrationSuffixes()).isEmpty()) {
            return Optional.empty();
        }
        String prefix = config.getSqlMigrationPrefix();
        Set<String> packaged = new HashSet<>();
        for (LoadableResource script : scripts.getResources(prefix, config.getSqlMigrationSuffixes())) {
            String name = script.getFilename();
            int separator = name.indexOf(config.getSqlMigrationSeparator());
            if (separator <= prefix.length()) {
                return Optional.empty();
            }
            packaged.add(MigrationVersion.fromVersion(name.substring(prefix.length(), separator)).getVersion());
        }
        if (packaged.isEmpty()) {
            return Optional.empty();
        }
        String schema = config.getDefaultSchema() != null ? config.getDefaultSchema()
                : config.getSchemas().length > 0 ? config.getSchemas()[0] : null;
        String table = (schema == null ? "" : '"' + schema + "\".") + '"' + config.getTable() + '"';
        try (Connection c = config.getDataSource().getConnection(); Statement st = c.createStatement();
                ResultSet rows = st.executeQuery("SELECT version, success, type FROM " + table)) {
            Set<String> applied = new HashSet<>();
            MigrationVersion newest = null;
            while (rows.next()) {
                String version = rows.getString(1);
                if (!rows.getBoolean(2) || "BASELINE".equals(rows.getString(3))) {
                    return Optional.empty();
                }
                if (version != null) {
                    MigrationVersion v = MigrationVersion.fromVersion(version);
                    applied.add(v.getVersion());
                    newest = newest == null || v.compareTo(newest) > 0 ? v : newest;
                }
            }
            return applied.containsAll(packaged) ? Optional.of(newest.getVersion()) : Optional.empty();
        } catch (SQLException e) {
            return Optional.empty(); // no history table, or not one this query can read: the plan will say
        }
    }

    /**
     * Applies every migration to a database without a history ({@link #hasHistory} false), without the plan that
     * {@link #apply(Flyway, Plan, Supplier, Consumer)} reads first: Flyway reads and parses the scripts once instead
     * of twice. Nothing to back up in a database without a schema.
     */
    public static Outcome applyAll(Flyway flyway, Consumer<String> log) {
        return migrate(flyway, null, List.of(), log);
    }

    /** Migrates with {@code flyway}; {@code pending} is what the plan found, empty when no plan was read. */
    private static Outcome migrate(Flyway flyway, Path backup, List<Pending> pending, Consumer<String> log) {
        if (!flyway.getConfiguration().isGroup()) {
            throw new IllegalArgumentException("Flyway must be configured with Migrations.settings");
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
        log.accept(applied.isEmpty()
                ? "Migrations " + (pending.isEmpty() ? "" : pending.stream().map(Pending::version).toList() + " ")
                        + "were applied by another process"
                : "Applied migrations " + applied.stream().map(Pending::version).toList());
        // Flyway applies in version order, so the last one applied is the schema's version now; asking the history
        // again would cost one more pass over the database and the scripts at every start that migrates.
        String version = applied.stream().map(Pending::version).filter(v -> v != null && !v.isEmpty())
                .reduce((first, last) -> last).orElseGet(() -> currentVersion(flyway));
        return new Outcome(applied, version, backup);
    }

    /**
     * Parley's settings for every Flyway instance it migrates with (Quarkus' through
     * {@code dev.parley.ops.MigrationSettings}, the commands' through {@link OpsDatabase#flyway}): all pending
     * migrations in one transaction, and no placeholder replacement (no script has placeholders; Flyway would still
     * scan every line for them, about a tenth of its parsing).
     */
    public static FluentConfiguration settings(FluentConfiguration configuration) {
        return configuration.group(true).placeholderReplacement(false);
    }
}
