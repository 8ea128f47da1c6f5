package dev.parley.ops;

/**
 * The exit codes of the server's start-up and of every operations command, defined once (the README documents
 * them): scripts and orchestrators can tell a configuration mistake from a database that is away.
 */
public final class ExitCode {

    public static final int OK = 0;
    /** The operation failed; rerunning may help (a copy can be resumed). */
    public static final int FAILED = 1;
    /** Bad usage or configuration, or refused: change the command or the settings. */
    public static final int INVALID = 2;
    /** The database cannot be reached, does not exist, or is held by another Parley process. */
    public static final int DATABASE_UNAVAILABLE = 3;
    /** A migration failed (the schema is left as it was), or the schema is not at the version needed. */
    public static final int MIGRATION_FAILED = 4;
    /** A copy's verification found the target different from the source. */
    public static final int VERIFICATION_FAILED = 5;

    private ExitCode() {
    }
}
