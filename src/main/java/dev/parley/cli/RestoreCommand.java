package dev.parley.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

import dev.parley.ops.ExitCode;
import dev.parley.store.Dialect;

/** {@code parley restore FILE}: puts a verified SQLite backup in place of the configured database. */
final class RestoreCommand implements Command {

    @Override
    public String name() {
        return "restore";
    }

    @Override
    public String summary() {
        return "restore a SQLite backup over the configured database (Parley must be stopped)";
    }

    @Override
    public String usage() {
        return """
                Usage: parley restore BACKUP_FILE [--database-url URL]

                Checks BACKUP_FILE with PRAGMA integrity_check, then puts it in place of the SQLite database in
                DATABASE_URL (or --database-url). Refuses while a Parley process holds the database: stop the server
                first. The database it replaces (with its WAL) is kept as <db>.<timestamp>.pre-restore.
                Start Parley afterwards; it applies any migrations the backup is missing.
                PostgreSQL: use pg_restore on a pg_dump file (see parley backup).

                Exit codes: 0 restored, 1 restore failed or backup corrupt (nothing changed), 2 bad usage.
                """;
    }

    @Override
    public Set<String> valued() {
        return Set.of("database-url");
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public int run(CommandLine cl, Configuration config, PrintStream out, PrintStream err) {
        if (cl.positional().size() != 1) {
            throw CommandLine.Failure.usage("restore: name exactly one backup file (see parley restore --help)");
        }
        Dialect dialect = config.dialect(config.databaseUrl(cl, name()));
        Path backup = Path.of(cl.positional().get(0)).toAbsolutePath();
        Dialect.Restored r;
        try {
            r = dialect.restore(backup);
        } catch (Dialect.NotSupported e) {
            err.println("parley restore: " + e.getMessage());
            return ExitCode.INVALID;
        }
        out.println("Restored " + backup + " to " + r.file() + " (schema version " + r.schemaVersion()
                + ", integrity ok)" + (r.previous() == null ? "" : "; previous database kept as " + r.previous()));
        return ExitCode.OK;
    }
}
