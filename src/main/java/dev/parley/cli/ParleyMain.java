package dev.parley.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.flywaydb.core.api.FlywayException;

import dev.parley.ops.ExitCode;
import dev.parley.ops.data.Migrations;
import dev.parley.store.BackendUnavailable;
import dev.parley.store.DatabaseUrl;
import dev.parley.store.Dialect;
import dev.parley.store.RootCause;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Entry point of the packaged application: {@code parley [serve]} runs the server; the other subcommands are
 * operations tools that run without starting it (see {@code parley --help}). Every failure is one line on stderr and
 * a documented exit code, never a stack trace.
 */
@QuarkusMain
public class ParleyMain {

    private static final List<Command> COMMANDS = List.of(new MigrateCommand(), new BackupCommand(),
            new RestoreCommand(), new CopyDataCommand(), new CreateApiKeyCommand(), new ListApiKeysCommand(),
            new RevokeApiKeyCommand(), new RotateEncryptionKeyCommand());

    /** Held so the level set on it is not lost to garbage collection. */
    private static final Logger FLYWAY_LOG = Logger.getLogger("org.flywaydb");

    public static void main(String... args) {
        String first = args.length == 0 ? "serve" : args[0];
        if (first.equals("serve") || (first.startsWith("-") && !isHelp(first))) {
            serve(first.equals("serve") && args.length > 0 ? Arrays.copyOfRange(args, 1, args.length) : args);
            return;
        }
        if (isHelp(first) || first.equals("help")) {
            System.out.print(usage());
            System.exit(ExitCode.OK);
        }
        Command command = COMMANDS.stream().filter(c -> c.name().equals(first)).findFirst().orElse(null);
        if (command == null) {
            System.err.println("parley: unknown command '" + first + "' (see parley --help)");
            System.exit(ExitCode.INVALID);
        }
        System.exit(run(command, Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
    }

    /** Runs one operations command and returns its exit code. */
    static int run(Command command, String[] args, PrintStream out, PrintStream err) {
        if (Arrays.stream(args).anyMatch(ParleyMain::isHelp)) {
            out.print(command.usage());
            return ExitCode.OK;
        }
        FLYWAY_LOG.setLevel(Level.WARNING); // Flyway's INFO chatter would bury the command's own output
        String prefix = "parley " + command.name() + ": ";
        try {
            return command.run(CommandLine.parse(command.name(), args, command.valued(), command.flags()),
                    Configuration.load(), out, err);
        } catch (CommandLine.Failure e) {
            err.println("parley " + e.getMessage());
            return e.exitCode;
        } catch (BackendUnavailable e) {
            err.println(prefix + e.getMessage());
            return ExitCode.DATABASE_UNAVAILABLE;
        } catch (Migrations.Failed e) {
            err.println(prefix + "migration failed: " + e.getMessage());
            return ExitCode.MIGRATION_FAILED;
        } catch (Dialect.BackupFailed e) {
            err.println(prefix + e.getMessage());
            return ExitCode.FAILED;
        } catch (FlywayException e) {
            err.println(prefix + String.valueOf(e.getMessage()).lines().filter(l -> !l.isBlank()).findFirst()
                    .orElse("Flyway failed") + " (" + RootCause.message(e) + ")");
            return ExitCode.DATABASE_UNAVAILABLE;
        } catch (Exception e) {
            err.println(prefix + "failed: " + RootCause.message(e));
            return ExitCode.FAILED;
        }
    }

    private static void serve(String[] args) {
        try {
            DatabaseUrl.parse(System.getenv("DATABASE_URL"));
        } catch (DatabaseUrl.Invalid e) {
            System.err.println("parley: " + e.getMessage());
            System.exit(ExitCode.INVALID);
        }
        Quarkus.run(args);
    }

    private static boolean isHelp(String arg) {
        return arg.equals("--help") || arg.equals("-h");
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("""
                Usage: parley [COMMAND] [OPTIONS]

                Parley, a self-hosted AI conversation service. The database comes from DATABASE_URL
                (unset: SQLite ./data/parley.db; sqlite:/path/file.db; postgresql://user:pass@host:5432/db).

                Commands:
                """);
        sb.append(String.format("  %-16s %s%n", "serve", "run the server (the default when no command is given)"));
        for (Command c : COMMANDS) {
            sb.append(String.format("  %-16s %s%n", c.name(), c.summary()));
        }
        sb.append("""

                Run parley COMMAND --help for a command's options and exit codes.
                """);
        return sb.toString();
    }
}
