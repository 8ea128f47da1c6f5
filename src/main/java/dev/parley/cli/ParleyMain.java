package dev.parley.cli;

import dev.parley.ops.DatabaseUrl;
import dev.parley.ops.StartupFailure;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Entry point of the packaged application. A malformed {@code DATABASE_URL} is reported here, as one line on stderr,
 * before any framework output; everything else is checked by the start-up sequence.
 */
@QuarkusMain
public class ParleyMain {

    public static void main(String... args) {
        try {
            DatabaseUrl.parse(System.getenv("DATABASE_URL"));
        } catch (DatabaseUrl.Invalid e) {
            System.err.println("parley: " + e.getMessage());
            System.exit(StartupFailure.BAD_CONFIGURATION);
        }
        Quarkus.run(args);
    }
}
