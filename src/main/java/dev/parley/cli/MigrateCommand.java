package dev.parley.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;

import dev.parley.ops.ExitCode;
import dev.parley.ops.data.Migrations;
import dev.parley.ops.data.OpsDatabase;
import dev.parley.store.Dialect;

/** {@code parley migrate}: applies pending migrations (SQLite: after a backup) and exits. */
final class MigrateCommand implements Command {

    @Override
    public String name() {
        return "migrate";
    }

    @Override
    public String summary() {
        return "apply pending schema migrations and exit (--dry-run lists them)";
    }

    @Override
    public String usage() {
        return """
                Usage: parley migrate [--dry-run] [--database-url URL]

                Applies every pending schema migration to the database in DATABASE_URL (or --database-url), all in
                one transaction, then exits. On SQLite the database is first backed up to <db>.<timestamp>.bak
                (keeping the newest PARLEY_BACKUP_KEEP, default 5, in PARLEY_BACKUP_DIR or next to the database), and
                the command refuses to run while a Parley server holds the file. On PostgreSQL, Flyway's lock makes
                concurrent runs (several replicas starting at once) apply each migration exactly once.

                  --dry-run            list the pending migrations and change nothing
                  --database-url URL   sqlite:/path/file.db or postgresql://user:pass@host:5432/db

                Exit codes: 0 done (or nothing to do), 2 bad usage, 3 database unavailable or in use,
                4 a migration failed (the schema is left as it was).
                """;
    }

    @Override
    public Set<String> valued() {
        return Set.of("database-url");
    }

    @Override
    public Set<String> flags() {
        return Set.of("dry-run");
    }

    @Override
    public int run(CommandLine cl, Configuration config, PrintStream out, PrintStream err) {
        Dialect dialect = config.dialect(config.databaseUrl(cl, name()));
        boolean dryRun = cl.has("dry-run");
        if (dryRun && !dialect.exists()) {
            out.println(dialect.describe() + " does not exist yet; parley migrate (or starting Parley) creates it");
            return ExitCode.OK;
        }
        try (OpsDatabase db = OpsDatabase.open(dialect, !dryRun, !dryRun)) {
            var flyway = db.flyway();
            Migrations.Plan plan = Migrations.plan(flyway);
            List<Migrations.Pending> pending = plan.pending();
            String current = plan.currentVersion();
            if (dryRun) {
                if (pending.isEmpty()) {
                    out.println(db.describe() + ": schema is up to date at version " + current);
                } else {
                    out.println(db.describe() + ": schema version " + current + ", " + pending.size()
                            + " pending migration(s):");
                    pending.forEach(p -> out.println("  " + p));
                }
                return ExitCode.OK;
            }
            Dialect.BackupPolicy defaults = config.backups().policy();
            Dialect.BackupPolicy policy = new Dialect.BackupPolicy(defaults.dir(),
                    cl.intValue(name(), "keep", defaults.keep(), 0));
            Migrations.Outcome outcome = Migrations.apply(flyway, plan, () -> dialect.backupBeforeMigration(policy),
                    err::println);
            out.println(outcome.applied().isEmpty()
                    ? db.describe() + ": schema is up to date at version " + outcome.schemaVersion()
                    : db.describe() + ": applied " + outcome.applied().size() + " migration(s), schema version "
                            + outcome.schemaVersion());
            return ExitCode.OK;
        } catch (Migrations.Failed e) {
            err.println("parley migrate: migration failed: " + e.getMessage());
            return ExitCode.MIGRATION_FAILED;
        }
    }
}
