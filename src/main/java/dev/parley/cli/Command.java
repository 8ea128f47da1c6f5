package dev.parley.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

import dev.parley.ops.DatabaseUrl;
import dev.parley.ops.data.SqliteBackups;

/** One subcommand of the {@code parley} executable. Output goes to {@code out}; progress and notes to {@code err}. */
interface Command {

    String name();

    /** One line for {@code parley --help}. */
    String summary();

    /** The full text for {@code parley <name> --help}. */
    String usage();

    Set<String> valued();

    Set<String> flags();

    int run(CommandLine cl, PrintStream out, PrintStream err) throws Exception;

    /** The database a command works on: {@code --database-url}, else {@code DATABASE_URL}, else the default file. */
    static DatabaseUrl database(CommandLine cl, String command) {
        String raw = cl.get("database-url", System.getenv("DATABASE_URL"));
        try {
            return DatabaseUrl.parse(raw);
        } catch (DatabaseUrl.Invalid e) {
            throw CommandLine.Failure.usage(command + ": " + e.getMessage());
        }
    }

    /**
     * The SQLite backup policy: {@code PARLEY_BACKUP_DIR} and {@code PARLEY_BACKUP_KEEP} as the server reads them, with
     * {@code --keep} taking precedence where a command offers it.
     */
    static SqliteBackups.Policy backupPolicy(Path database, CommandLine cl, String command) {
        String dir = System.getenv("PARLEY_BACKUP_DIR");
        return new SqliteBackups.Policy(database, dir == null || dir.isBlank() ? null : Path.of(dir),
                cl.intValue(command, "keep", env("PARLEY_BACKUP_KEEP", 5), 0));
    }

    static int env(String name, int fallback) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw CommandLine.Failure.usage(name + " must be a number (got '" + v + "')");
        }
    }
}
