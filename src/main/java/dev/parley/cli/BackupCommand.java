package dev.parley.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.parley.ops.DatabaseUrl;
import dev.parley.ops.data.SqliteBackups;

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
    public int run(CommandLine cl, PrintStream out, PrintStream err) throws Exception {
        DatabaseUrl url = Command.database(cl, name());
        if (!url.isSqlite()) {
            return pgDump(url, cl.get("output"), out, err);
        }
        SqliteBackups.Policy policy = Command.backupPolicy(url.sqlitePath(), cl, name());
        Path target = cl.has("output") ? Path.of(cl.get("output")).toAbsolutePath() : policy.fileFor(Instant.now());
        SqliteBackups.Backup b = SqliteBackups.backup(url.sqlitePath(), target);
        out.printf("Backed up %s to %s (%,d bytes in %.1f s, integrity ok)%n", url.sqlitePath(), b.file(), b.bytes(),
                b.took().toMillis() / 1000.0);
        if (!cl.has("output")) {
            for (Path old : policy.prune()) {
                err.println("Deleted old backup " + old + " (keeping the newest " + policy.keep() + ")");
            }
        }
        return CommandLine.Exit.OK;
    }

    private static int pgDump(DatabaseUrl url, String output, PrintStream out, PrintStream err)
            throws IOException, InterruptedException {
        String file = output != null ? output
                : "parley-" + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
                        .format(Instant.now()) + ".dump";
        List<String> cmd = new ArrayList<>(List.of("pg_dump", "--format=custom", "--no-owner", "--file=" + file,
                "--host=" + url.host(), "--port=" + url.port()));
        if (url.username() != null) {
            cmd.add("--username=" + url.username());
        }
        cmd.add(url.database());
        Optional<Path> pgDump = onPath("pg_dump");
        if (pgDump.isEmpty()) {
            err.println("parley backup: pg_dump is not on PATH; install the PostgreSQL client matching the server "
                    + "and run: " + String.join(" ", cmd) + " (password via PGPASSWORD)");
            return CommandLine.Exit.DATABASE_UNAVAILABLE;
        }
        cmd.set(0, pgDump.get().toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (url.password() != null) {
            pb.environment().put("PGPASSWORD", url.password());
        }
        Process p = pb.start();
        String output1 = new String(p.getInputStream().readAllBytes()).trim();
        int code = p.waitFor();
        if (code != 0) {
            err.println("parley backup: pg_dump failed (exit " + code + "): "
                    + output1.lines().reduce((a, b) -> b).orElse(""));
            return CommandLine.Exit.FAILED;
        }
        out.printf("Backed up %s to %s with pg_dump (%,d bytes); restore with pg_restore --clean --dbname=...%n",
                url.describe(), file, Files.size(Path.of(file)));
        return CommandLine.Exit.OK;
    }

    static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
