package dev.parley.cli;

import java.io.PrintStream;
import java.util.Optional;
import java.util.Set;

import dev.parley.ops.ExitCode;
import dev.parley.ops.data.CopyData;
import dev.parley.ops.data.Migrations;
import dev.parley.ops.data.OpsDatabase;
import dev.parley.store.DatabaseUrl;
import dev.parley.store.RootCause;

/** {@code parley copy-data}: copies all data between SQLite and PostgreSQL and verifies it. */
final class CopyDataCommand implements Command {

    @Override
    public String name() {
        return "copy-data";
    }

    @Override
    public String summary() {
        return "copy every table between SQLite and PostgreSQL, resumable, then verify counts and checksums";
    }

    @Override
    public String usage() {
        return """
                Usage: parley copy-data --from URL --to URL [--resume] [--batch-size N] [--progress MODE]

                Copies every Parley table from one database to another: SQLite to PostgreSQL to move up, PostgreSQL
                to SQLite for an edge export. The target's schema is created by migrations first. Ids, UTC
                timestamps (microseconds), booleans and JSON are preserved exactly; PostgreSQL sequences are moved
                past the copied values. Then both sides are read again and compared per table: row count and a
                SHA-256 over every row's canonical form. Stop Parley on both databases first (a SQLite database held
                by a running Parley is refused).

                  --from URL          source (sqlite:/path/file.db or postgresql://user:pass@host:5432/db)
                  --to URL            target; must be empty unless --resume
                  --resume            continue an interrupted copy: each table resumes after its last copied row
                  --batch-size N      rows per target transaction (default 5000)
                  --progress MODE     auto (bar on a terminal, lines otherwise), bar, lines or none

                Exit codes: 0 copied and verified, 1 copy failed (rerun with --resume), 2 bad usage or refused,
                3 a database is unavailable or in use, 4 a schema is at another version, 5 verification failed.
                """;
    }

    @Override
    public Set<String> valued() {
        return Set.of("from", "to", "batch-size", "progress");
    }

    @Override
    public Set<String> flags() {
        return Set.of("resume");
    }

    @Override
    public int run(CommandLine cl, Configuration config, PrintStream out, PrintStream err) throws Exception {
        if (!cl.has("from") || !cl.has("to")) {
            throw CommandLine.Failure.usage("copy-data: --from and --to are both required (see parley copy-data --help)");
        }
        DatabaseUrl from = parse(cl.get("from"), "--from");
        DatabaseUrl to = parse(cl.get("to"), "--to");
        if (from.describe().equals(to.describe())) {
            throw CommandLine.Failure.usage("copy-data: --from and --to are the same database (" + from.describe()
                    + ")");
        }
        int batch = cl.intValue(name(), "batch-size", 5000, 1);
        Progress progress = new Progress(Progress.Mode.of(cl.get("progress", "auto")), err);
        try (OpsDatabase source = OpsDatabase.open(config.dialect(from), true, false);
                OpsDatabase target = OpsDatabase.open(config.dialect(to), true, true)) {
            Migrations.Plan sourcePlan = Migrations.plan(source.flyway());
            String sourceVersion = sourcePlan.currentVersion();
            if (!sourcePlan.pending().isEmpty()) {
                err.println("parley copy-data: the source schema is at version " + sourceVersion
                        + " and has pending migrations; run parley migrate --database-url <source> first");
                return ExitCode.MIGRATION_FAILED;
            }
            Migrations.Outcome created = Migrations.apply(target.flyway(), Optional::empty, err::println);
            if (!created.schemaVersion().equals(sourceVersion)) {
                err.println("parley copy-data: source schema version " + sourceVersion + " and target version "
                        + created.schemaVersion() + " differ; use a Parley build that knows both");
                return ExitCode.MIGRATION_FAILED;
            }
            err.println("Copying " + source.describe() + " -> " + target.describe()
                    + (cl.has("resume") ? " (resuming)" : ""));
            CopyData.Report report = CopyData.copy(source, target, new CopyData.Options(cl.has("resume"), batch),
                    progress);
            double seconds = Math.max(report.copyTime().toMillis() / 1000.0, 0.001);
            out.printf("Copied %,d rows in %.1f s (%,.0f rows/s)%n", report.rowsCopied(), seconds,
                    report.rowsCopied() / seconds);
            if (!report.sequences().isEmpty()) {
                out.println("Sequences set: " + String.join(", ", report.sequences()));
            }
            out.println("Verification (rows, SHA-256 of canonical rows):");
            for (CopyData.TableCheck c : report.checks()) {
                out.printf("  %-14s %s  source %,d %s  target %,d %s%s%n", c.table(), c.ok() ? "OK      " : "MISMATCH",
                        c.sourceRows(), c.sourceChecksum().substring(0, 16), c.targetRows(),
                        c.targetChecksum().substring(0, 16),
                        c.ok() ? "" : "  (" + c.differingRows() + " rows differ; first: " + c.firstDifference() + ")");
            }
            if (!report.verified()) {
                err.println("parley copy-data: verification failed; the target does not match the source");
                return ExitCode.VERIFICATION_FAILED;
            }
            out.println("Verified: the target holds exactly the source's data.");
            return ExitCode.OK;
        } catch (CopyData.Refused e) {
            err.println("parley copy-data: " + e.getMessage());
            return ExitCode.INVALID;
        } catch (java.sql.SQLException e) {
            err.println("parley copy-data: copy failed: " + RootCause.message(e)
                    + "; fix the cause and rerun with --resume");
            return ExitCode.FAILED;
        }
    }

    private static DatabaseUrl parse(String raw, String option) {
        try {
            return DatabaseUrl.parse(raw);
        } catch (DatabaseUrl.Invalid e) {
            throw CommandLine.Failure.usage("copy-data: " + option + ": " + e.getMessage().replace("DATABASE_URL",
                    "the URL"));
        }
    }
}
