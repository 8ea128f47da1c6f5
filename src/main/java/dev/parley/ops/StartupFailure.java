package dev.parley.ops;

/** A reason Parley cannot start, printed as one line; {@code exitCode} ({@link ExitCode}) tells scripts which kind. */
public class StartupFailure extends RuntimeException {

    private final int exitCode;

    public StartupFailure(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
