package dev.parley.ops;

/** A reason Parley cannot start, printed as one line; {@code exitCode} tells scripts which kind it was. */
public class StartupFailure extends RuntimeException {

    public static final int BAD_CONFIGURATION = 2;
    public static final int DATABASE_UNAVAILABLE = 3;
    public static final int MIGRATION_FAILED = 4;

    private final int exitCode;

    public StartupFailure(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
