package dev.parley.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

import dev.parley.ops.ExitCode;
import dev.parley.store.Dialect;

/** {@code parley backup}: an online, consistent backup of the configured database. */
final class BackupCommand implements Command {

    @Override
    public String name() {
        return "backup";
    }

    @Override
    public String summary() {
        return "back up the database while Parley keeps serving (SQLite: VACUUM INTO; PostgreSQL: pg_dump)";
    }

    @Override
    public String usage() {
        return """
                Usage: parley backup [--output FILE] [--keep N] [--database-url URL]

                SQLite: writes a consistent snapshot of the database to FILE (default <db>.<UTC timestamp>.bak in
                PARLEY_BACKUP_DIR or next to the database) while a running Parley keeps serving; the snapshot is read
                in one transaction, so writers are not blocked. The file is synced and passes PRAGMA integrity_check
                before it gets its final name. With --keep N (default PARLEY_BACKUP_KEEP, 5), only the newest N
                timestamped backups are kept.
                PostgreSQL: runs pg_dump --format=custom (restore with pg_restore) when pg_dump is on PATH, and
                otherwise prints the command to run.

                  --output FILE        where to write the backup
                  --keep N             timestamped backups to keep (0 keeps all)
                  --database-url URL   sqlite:/path/file.db or postgresql://user:pass@host:5432/db

                Scheduled backups: set PARLEY_BACKUP_INTERVAL (e.g. 6h) and the server takes them itself.
                Exit codes: 0 done, 1 backup failed, 2 bad usage, 3 pg_dump not available.
                """;
    }

    @Override
    public Set<String> valued() {
        return Set.of("output", "keep", "database-url");
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public int run(CommandLine cl, Configuration config, PrintStream out, PrintStream err) {
        Dialect dialect = config.dialect(config.databaseUrl(cl, name()));
        Dialect.BackupPolicy defaults = config.backups().policy();
        Dialect.BackupPolicy policy = new Dialect.BackupPolicy(defaults.dir(),
                cl.intValue(name(), "keep", defaults.keep(), 0));
        Optional<Path> output = Optional.ofNullable(cl.get("output")).map(o -> Path.of(o).toAbsolutePath());
        Dialect.Backup b;
        try {
            b = dialect.backup(output, policy);
        } catch (Dialect.NotSupported e) {
            err.println("parley backup: " + e.getMessage());
            return ExitCode.DATABASE_UNAVAILABLE;
        }
        out.printf("Backed up %s to %s (%,d bytes in %.1f s, %s)%n", dialect.describe(), b.location(), b.bytes(),
                b.took().toMillis() / 1000.0, b.how());
        for (Path old : b.pruned()) {
            err.println("Deleted old backup " + old + " (keeping the newest " + policy.keep() + ")");
        }
        return ExitCode.OK;
    }
}
