package dev.parley.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.parley.ops.ExitCode;

/**
 * A parsed command line: {@code --name value}, {@code --name=value}, flags, and positional arguments. Unknown
 * options are an error, so a typo is never silently ignored.
 */
final class CommandLine {

    /** A usage or configuration problem: one line, exit code 2 ({@link ExitCode#INVALID}) unless said otherwise. */
    static final class Failure extends RuntimeException {
        final int exitCode;

        Failure(int exitCode, String message) {
            super(message, null, false, false);
            this.exitCode = exitCode;
        }

        static Failure usage(String message) {
            return new Failure(ExitCode.INVALID, message);
        }
    }

    private final Map<String, String> options = new HashMap<>();
    private final List<String> positional = new ArrayList<>();

    private CommandLine() {
    }

    static CommandLine parse(String command, String[] args, Set<String> valued, Set<String> flags) {
        CommandLine cl = new CommandLine();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.equals("--")) {
                cl.positional.add(a);
                continue;
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (flags.contains(name)) {
                if (value != null) {
                    throw Failure.usage(command + ": --" + name + " takes no value");
                }
                cl.options.put(name, "true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw Failure.usage(command + ": --" + name + " needs a value");
                    }
                    value = args[++i];
                }
                cl.options.put(name, value);
            } else {
                throw Failure.usage(command + ": unknown option --" + name + " (see parley " + command + " --help)");
            }
        }
        return cl;
    }

    String get(String name) {
        return options.get(name);
    }

    String get(String name, String fallback) {
        return options.getOrDefault(name, fallback);
    }

    boolean has(String name) {
        return options.containsKey(name);
    }

    int intValue(String command, String name, int fallback, int min) {
        String v = options.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min) {
                throw Failure.usage(command + ": --" + name + " must be at least " + min + " (got " + v + ")");
            }
            return n;
        } catch (NumberFormatException e) {
            throw Failure.usage(command + ": --" + name + " must be a number (got '" + v + "')");
        }
    }

    List<String> positional() {
        return positional;
    }
}
