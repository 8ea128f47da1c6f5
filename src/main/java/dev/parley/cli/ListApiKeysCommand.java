package dev.parley.cli;

import java.io.PrintStream;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import dev.parley.ops.ExitCode;
import dev.parley.ops.data.OpsDatabase;
import dev.parley.store.ColumnType;

/** {@code parley list-api-keys}: a tenant's keys with their scopes and state; never a key or its hash. */
final class ListApiKeysCommand implements Command {

    @Override
    public String name() {
        return "list-api-keys";
    }

    @Override
    public String summary() {
        return "list a tenant's API keys (--tenant NAME or --tenant-id ID) with scopes, last use and state";
    }

    @Override
    public String usage() {
        return """
                Usage: parley list-api-keys (--tenant NAME | --tenant-id ID) [--database-url URL]

                Prints one line per key of the tenant (every tenant of that name, when several share it): its id,
                tenant, name, display prefix, scopes, when it was created and last used, and whether it is active,
                expired or revoked. Keys themselves are never stored, so they cannot be shown. Works while Parley
                is running.

                Exit codes: 0 listed, 2 bad usage or unknown tenant, 3 database unavailable, 4 schema not migrated.
                """;
    }

    @Override
    public Set<String> valued() {
        return Set.of("tenant", "tenant-id", "database-url");
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public int run(CommandLine cl, Configuration config, PrintStream out, PrintStream err) throws Exception {
        if (cl.has("tenant") == cl.has("tenant-id")) {
            throw CommandLine.Failure.usage("list-api-keys: give exactly one of --tenant NAME or --tenant-id ID");
        }
        try (OpsDatabase db = KeyCommands.openMigrated(config, cl, name(), err)) {
            List<UUID> tenants = cl.has("tenant") ? KeyCommands.tenantsNamed(db, cl.get("tenant").trim())
                    : List.of(tenantId(cl));
            if (tenants.isEmpty()) {
                throw CommandLine.Failure.usage("list-api-keys: no tenant named '" + cl.get("tenant") + "' in "
                        + db.describe());
            }
            out.printf("%-36s  %-36s  %-16s  %-9s  %-14s  %-24s  %-24s  %s%n", "KEY ID", "TENANT", "NAME", "PREFIX",
                    "SCOPES", "CREATED", "LAST USED", "STATE");
            Instant now = Instant.now();
            for (UUID tenant : tenants) {
                try (PreparedStatement ps = db.connection().prepareStatement("SELECT id, name, key_prefix, scopes, "
                        + "created_at, last_used_at, expires_at, revoked_at FROM api_keys WHERE tenant_id = ? "
                        + "ORDER BY created_at, id")) {
                    db.bind(ps, 1, ColumnType.ID, tenant);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            Instant expires = (Instant) db.read(rs, 7, ColumnType.INSTANT);
                            Instant revoked = (Instant) db.read(rs, 8, ColumnType.INSTANT);
                            Object lastUsed = db.read(rs, 6, ColumnType.INSTANT);
                            String state = revoked != null ? "revoked " + revoked
                                    : expires != null && !now.isBefore(expires) ? "expired " + expires
                                    : expires != null ? "active until " + expires : "active";
                            out.printf("%-36s  %-36s  %-16s  %-9s  %-14s  %-24s  %-24s  %s%n",
                                    db.read(rs, 1, ColumnType.ID), tenant, rs.getString(2), rs.getString(3),
                                    rs.getString(4), db.read(rs, 5, ColumnType.INSTANT),
                                    lastUsed == null ? "never" : lastUsed, state);
                        }
                    }
                }
            }
            return ExitCode.OK;
        }
    }

    private static UUID tenantId(CommandLine cl) {
        try {
            return UUID.fromString(cl.get("tenant-id").trim());
        } catch (IllegalArgumentException e) {
            throw CommandLine.Failure.usage("list-api-keys: --tenant-id must be a UUID (got '" + cl.get("tenant-id")
                    + "')");
        }
    }
}
