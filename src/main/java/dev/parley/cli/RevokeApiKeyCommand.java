package dev.parley.cli;

import java.io.PrintStream;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

import dev.parley.ops.ExitCode;
import dev.parley.ops.data.OpsDatabase;
import dev.parley.store.ColumnType;
import dev.parley.store.Timestamps;

/** {@code parley revoke-api-key KEY_ID}: the key stops working within about a second on every running server. */
final class RevokeApiKeyCommand implements Command {

    @Override
    public String name() {
        return "revoke-api-key";
    }

    @Override
    public String summary() {
        return "revoke an API key by id; running servers refuse it within about a second";
    }

    @Override
    public String usage() {
        return """
                Usage: parley revoke-api-key KEY_ID [--database-url URL]

                Marks the key revoked (see parley list-api-keys for ids). Every running Parley process on the
                database refuses it within about a second: each reads newly revoked keys once a second. Revoking a
                key that is already revoked changes nothing. Works while Parley is running.

                Exit codes: 0 revoked (or already revoked), 2 bad usage or unknown key, 3 database unavailable,
                4 schema not migrated.
                """;
    }

    @Override
    public Set<String> valued() {
        return Set.of("database-url");
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public int run(CommandLine cl, Configuration config, PrintStream out, PrintStream err) throws Exception {
        if (cl.positional().size() != 1) {
            throw CommandLine.Failure.usage("revoke-api-key: name exactly one key id (see parley list-api-keys)");
        }
        UUID id;
        try {
            id = UUID.fromString(cl.positional().get(0).trim());
        } catch (IllegalArgumentException e) {
            throw CommandLine.Failure.usage("revoke-api-key: a key id is a UUID (got '" + cl.positional().get(0)
                    + "')");
        }
        try (OpsDatabase db = KeyCommands.openMigrated(config, cl, name(), err)) {
            try (PreparedStatement ps = db.connection().prepareStatement(
                    "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
                db.bind(ps, 1, ColumnType.INSTANT, Timestamps.now());
                db.bind(ps, 2, ColumnType.ID, id);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = db.connection().prepareStatement(
                    "SELECT revoked_at FROM api_keys WHERE id = ?")) {
                db.bind(ps, 1, ColumnType.ID, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw CommandLine.Failure.usage("revoke-api-key: no key " + id + " in " + db.describe());
                    }
                    out.println("Key " + id + " is revoked since " + (Instant) db.read(rs, 1, ColumnType.INSTANT));
                }
            }
            return ExitCode.OK;
        }
    }
}
