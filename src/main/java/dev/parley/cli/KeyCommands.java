package dev.parley.cli;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import dev.parley.auth.Scope;
import dev.parley.ops.data.Migrations;
import dev.parley.ops.data.OpsDatabase;
import dev.parley.store.ColumnType;
import dev.parley.store.Dialect;

/** What the key commands share: opening the database ready for use, and reading options about keys. */
final class KeyCommands {

    private KeyCommands() {
    }

    /**
     * Opens the configured database, creating and migrating it when it does not exist yet, so that the first key of
     * a fresh installation is one command. An existing database must already be migrated (the server or
     * {@code parley migrate} does that, with a backup first); the command does not migrate it behind their back.
     */
    static OpsDatabase openMigrated(Configuration config, CommandLine cl, String command, java.io.PrintStream err) {
        Dialect dialect = config.dialect(config.databaseUrl(cl, command));
        boolean fresh = !dialect.exists();
        OpsDatabase db = OpsDatabase.open(dialect, false, true);
        try {
            Migrations.Plan plan = Migrations.plan(db.flyway());
            if (fresh || "none".equals(plan.currentVersion())) {
                Migrations.Outcome created = Migrations.apply(db.flyway(), plan, java.util.Optional::empty,
                        line -> {
                        });
                err.println("Created " + db.describe() + " (schema version " + created.schemaVersion() + ")");
            } else if (!plan.pending().isEmpty()) {
                throw new CommandLine.Failure(dev.parley.ops.ExitCode.MIGRATION_FAILED, command + ": the schema of "
                        + db.describe() + " needs migrations; start Parley once or run parley migrate");
            }
            return db;
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    static Set<Scope> scopes(CommandLine cl, String command) {
        if (cl.has("admin")) {
            if (cl.has("scopes")) {
                throw CommandLine.Failure.usage(command + ": give either --admin or --scopes");
            }
            return EnumSet.of(Scope.ADMIN);
        }
        if (!cl.has("scopes")) {
            return EnumSet.of(Scope.READ, Scope.CHAT, Scope.KEYS);
        }
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (String s : cl.get("scopes").split(",")) {
            try {
                scopes.add(Scope.of(s.trim()));
            } catch (IllegalArgumentException e) {
                throw CommandLine.Failure.usage(command + ": " + e.getMessage());
            }
        }
        return scopes;
    }

    /** {@code --expires}: an ISO-8601 instant (2027-01-01T00:00:00Z) or a date (2027-01-01, midnight UTC). */
    static Instant expires(CommandLine cl, String command) {
        String v = cl.get("expires");
        if (v == null) {
            return null;
        }
        Instant at;
        try {
            at = v.contains("T") ? Instant.parse(v.trim()) : LocalDate.parse(v.trim()).atStartOfDay(ZoneOffset.UTC)
                    .toInstant();
        } catch (DateTimeParseException e) {
            throw CommandLine.Failure.usage(command + ": --expires must be an instant like 2027-01-01T00:00:00Z or a "
                    + "date like 2027-01-01 (got '" + v + "')");
        }
        if (!at.isAfter(Instant.now())) {
            throw CommandLine.Failure.usage(command + ": --expires must be in the future (got " + at + ")");
        }
        return at;
    }

    /** The ids of the tenants with this name (names are not unique: several tenants may share one). */
    static List<UUID> tenantsNamed(OpsDatabase db, String name) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        try (PreparedStatement ps = db.connection().prepareStatement("SELECT id FROM tenants WHERE name = ? "
                + "ORDER BY created_at")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add((UUID) db.read(rs, 1, ColumnType.ID));
                }
            }
        }
        return ids;
    }
}
