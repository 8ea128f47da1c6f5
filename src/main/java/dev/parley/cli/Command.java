package dev.parley.cli;

import java.io.PrintStream;
import java.util.Set;

/** One subcommand of the {@code parley} executable. Output goes to {@code out}; progress and notes to {@code err}. */
interface Command {

    String name();

    /** One line for {@code parley --help}. */
    String summary();

    /** The full text for {@code parley <name> --help}. */
    String usage();

    Set<String> valued();

    Set<String> flags();

    /** Runs the command; returns its exit code ({@link dev.parley.ops.ExitCode}). */
    int run(CommandLine cl, Configuration config, PrintStream out, PrintStream err) throws Exception;
}
