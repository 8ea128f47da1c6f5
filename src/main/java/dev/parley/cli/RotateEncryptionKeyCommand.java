package dev.parley.cli;

import java.io.PrintStream;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import dev.parley.ops.ExitCode;
import dev.parley.ops.data.OpsDatabase;
import dev.parley.provider.UpstreamKeyEncryption;
import dev.parley.store.ColumnType;

/**
 * {@code parley rotate-encryption-key}: re-encrypts every stored upstream API key under {@code PARLEY_ENCRYPTION_KEY},
 * opening each with whichever configured key sealed it, in one transaction; afterwards the old keys can be dropped.
 */
final class RotateEncryptionKeyCommand implements Command {

    @Override
    public String name() {
        return "rotate-encryption-key";
    }

    @Override
    public String summary() {
        return "re-encrypt every stored upstream API key under PARLEY_ENCRYPTION_KEY";
    }

    @Override
    public String usage() {
        return """
                Usage: parley rotate-encryption-key [--database-url URL]

                Re-encrypts every stored tenant upstream API key under PARLEY_ENCRYPTION_KEY and prints how many.
                Each value is opened with the key that sealed it: PARLEY_ENCRYPTION_KEY or one of the keys in
                PARLEY_ENCRYPTION_OLD_KEYS (comma-separated). All values change in one transaction, or none does.
                Afterwards no value needs the old keys, and they can be removed from PARLEY_ENCRYPTION_OLD_KEYS.
                Works while Parley is running; give the running servers the new PARLEY_ENCRYPTION_KEY first
                (with the old one in PARLEY_ENCRYPTION_OLD_KEYS) so they can open values sealed under either.

                Exit codes: 0 re-encrypted, 1 a stored value does not decrypt (altered; nothing changed),
                2 no or invalid PARLEY_ENCRYPTION_KEY, or a value sealed under a key not configured (nothing
                changed), 3 database unavailable, 4 schema not migrated.
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

    private record Row(UUID id, UUID tenantId, String sealed) {
    }

    @Override
    public int run(CommandLine cl, Configuration config, PrintStream out, PrintStream err) throws Exception {
        UpstreamKeyEncryption keys;
        try {
            keys = config.encryption();
        } catch (UpstreamKeyEncryption.InvalidKey e) {
            throw CommandLine.Failure.usage(name() + ": " + e.getMessage());
        }
        if (!keys.canSeal()) {
            throw CommandLine.Failure.usage(name() + ": PARLEY_ENCRYPTION_KEY is not set; set the new key there and "
                    + "the old ones in PARLEY_ENCRYPTION_OLD_KEYS");
        }
        String current = keys.currentKeyId().orElseThrow();
        try (OpsDatabase db = KeyCommands.openMigrated(config, cl, name(), err)) {
            db.connection().setAutoCommit(false);
            List<Row> rows = new ArrayList<>();
            try (PreparedStatement ps = db.connection().prepareStatement(
                    "SELECT id, tenant_id, api_key FROM tenant_upstreams ORDER BY id");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row((UUID) db.read(rs, 1, ColumnType.ID), (UUID) db.read(rs, 2, ColumnType.ID),
                            rs.getString(3)));
                }
            }
            List<String> resealed = new ArrayList<>(rows.size());
            for (Row r : rows) {
                String keyId = UpstreamKeyEncryption.keyIdOf(r.sealed()).orElse("?");
                if (!keys.canOpen(keyId)) {
                    db.connection().rollback();
                    throw CommandLine.Failure.usage(name() + ": upstream " + r.id() + " is encrypted under key id "
                            + keyId + ", which is neither PARLEY_ENCRYPTION_KEY nor in PARLEY_ENCRYPTION_OLD_KEYS; "
                            + "nothing changed");
                }
                String plaintext;
                try {
                    plaintext = keys.open(r.sealed(), r.tenantId(), r.id());
                } catch (UpstreamKeyEncryption.Unreadable e) {
                    db.connection().rollback();
                    throw new CommandLine.Failure(ExitCode.FAILED, name() + ": the API key of upstream " + r.id()
                            + " (tenant " + r.tenantId() + ") does not decrypt: " + e.getMessage() + "; set it again "
                            + "(PATCH /api/upstreams/" + r.id() + ") or delete it; nothing changed");
                }
                resealed.add(keys.seal(plaintext, r.tenantId(), r.id()));
            }
            int changed = 0;
            try (PreparedStatement ps = db.connection().prepareStatement(
                    "UPDATE tenant_upstreams SET api_key = ?, key_id = ? WHERE id = ? AND api_key = ?")) {
                for (int i = 0; i < rows.size(); i++) {
                    ps.setString(1, resealed.get(i));
                    ps.setString(2, current);
                    db.bind(ps, 3, ColumnType.ID, rows.get(i).id());
                    ps.setString(4, rows.get(i).sealed());
                    changed += ps.executeUpdate();
                }
            }
            db.connection().commit();
            out.println("Re-encrypted " + changed + " upstream API key" + (changed == 1 ? "" : "s") + " under key id "
                    + current + (changed < rows.size() ? " (" + (rows.size() - changed) + " changed meanwhile through "
                            + "the API, already under the current key)" : ""));
            return ExitCode.OK;
        }
    }
}
