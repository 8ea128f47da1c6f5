package dev.parley.cli;

import java.io.PrintStream;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import dev.parley.auth.ApiKeys;
import dev.parley.auth.Scope;
import dev.parley.ops.ExitCode;
import dev.parley.ops.data.OpsDatabase;
import dev.parley.store.Table;
import dev.parley.store.Timestamps;
import dev.parley.store.UuidV7;

/**
 * {@code parley create-api-key}: a key for a new or existing tenant, straight into the database, so the first key of a
 * fresh installation needs neither the API nor a bootstrap variable. Works while the server runs.
 */
final class CreateApiKeyCommand implements Command {

    @Override
    public String name() {
        return "create-api-key";
    }

    @Override
    public String summary() {
        return "create an API key for a new tenant (--tenant NAME) or an existing one (--tenant-id ID)";
    }

    @Override
    public String usage() {
        return """
                Usage: parley create-api-key (--tenant NAME | --tenant-id ID) [--name KEY_NAME]
                                             [--admin | --scopes LIST] [--expires WHEN] [--database-url URL]

                Creates an API key and prints it on stdout, once: only its SHA-256 hash is stored. With --tenant a
                new tenant of that name is created; with --tenant-id the key is added to an existing tenant.
                Scopes: read (every GET), chat (conversations and chat turns, also /v1), keys (manage the tenant's
                keys), upstreams (manage the tenant's own upstreams and their API keys), admin (every tenant,
                /api/admin, diagnostics, and everything else); the default is
                read,chat,keys, and --admin is --scopes admin. --expires takes an instant (2027-01-01T00:00:00Z) or a
                date (2027-01-01). A database that does not exist yet is created and migrated. Works while Parley
                is running.

                Exit codes: 0 created, 1 failed, 2 bad usage or unknown tenant, 3 database unavailable,
                4 schema not migrated.
                """;
    }

    @Override
    public Set<String> valued() {
        return Set.of("tenant", "tenant-id", "name", "scopes", "expires", "database-url");
    }

    @Override
    public Set<String> flags() {
        return Set.of("admin");
    }

    @Override
    public int run(CommandLine cl, Configuration config, PrintStream out, PrintStream err) throws SQLException {
        if (cl.has("tenant") == cl.has("tenant-id")) {
            throw CommandLine.Failure.usage("create-api-key: give exactly one of --tenant NAME or --tenant-id ID");
        }
        String tenantName = cl.get("tenant");
        if (tenantName != null && (tenantName.isBlank() || tenantName.length() > 100)) {
            throw CommandLine.Failure.usage("create-api-key: --tenant must be 1 to 100 characters");
        }
        String keyName = cl.get("name", "cli");
        if (keyName.isBlank() || keyName.length() > 100) {
            throw CommandLine.Failure.usage("create-api-key: --name must be 1 to 100 characters");
        }
        UUID tenantId;
        try {
            tenantId = cl.has("tenant-id") ? UUID.fromString(cl.get("tenant-id").trim()) : UuidV7.next();
        } catch (IllegalArgumentException e) {
            throw CommandLine.Failure.usage("create-api-key: --tenant-id must be a UUID (got '" + cl.get("tenant-id")
                    + "')");
        }
        Set<Scope> scopes = KeyCommands.scopes(cl, name());
        Instant expires = KeyCommands.expires(cl, name());
        try (OpsDatabase db = KeyCommands.openMigrated(config, cl, name(), err)) {
            var now = Timestamps.now();
            db.connection().setAutoCommit(false);
            if (tenantName != null) {
                Table tenants = Table.named("tenants");
                db.insert(tenants, List.<Object[]> of(tenants.row("id", tenantId, "name", tenantName.trim(),
                        "created_at", now)));
            } else if (!tenantExists(db, tenantId)) {
                throw CommandLine.Failure.usage("create-api-key: no tenant " + tenantId + " in " + db.describe());
            }
            String key = ApiKeys.generate();
            UUID keyId = UuidV7.next();
            Table keys = Table.named("api_keys");
            db.insert(keys, List.<Object[]> of(keys.row("id", keyId, "tenant_id", tenantId, "name", keyName.trim(),
                    "key_prefix", ApiKeys.displayPrefix(key), "key_hash", ApiKeys.hash(key), "created_at", now,
                    "scopes", String.join(",", new java.util.TreeSet<>(Scope.ids(scopes))), "expires_at", expires)));
            db.connection().commit();
            out.println(key);
            err.println("Created key " + keyId + " '" + keyName.trim() + "' (" + String.join(",",
                    new java.util.TreeSet<>(Scope.ids(scopes))) + (expires == null ? "" : ", expires " + expires)
                    + ") for tenant " + tenantId + (tenantName == null ? "" : " (" + tenantName.trim() + ")")
                    + "; it is shown only this once");
            return ExitCode.OK;
        }
    }

    private static boolean tenantExists(OpsDatabase db, UUID id) throws SQLException {
        try (PreparedStatement ps = db.connection().prepareStatement("SELECT 1 FROM tenants WHERE id = ?")) {
            db.bind(ps, 1, Table.named("tenants").keyType(), id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
