package dev.parley.testing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.parley.store.Dialect;
import dev.parley.store.Table;

/**
 * Row counts and a SHA-256 over every row of Parley's tables, read through the adapter's codec: equal fingerprints
 * mean nothing was written. Left out: the heartbeats the readiness probe writes every second, when keys were
 * last used (bookkeeping written in batches), and the limit counters' windows, whose past minutes usage
 * housekeeping deletes every minute, whatever requests arrive meanwhile.
 */
public final class DatabaseFingerprint {

    private static final Set<String> MOVING = Set.of("heartbeats", "api_keys.last_used_at", "usage_windows");

    private DatabaseFingerprint() {
    }

    public static Map<String, String> of(Dialect dialect) {
        Map<String, String> tables = new LinkedHashMap<>();
        try (Connection c = dialect.connect(false)) {
            for (Table t : Table.ALL) {
                if (MOVING.contains(t.name())) {
                    continue;
                }
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                long rows = 0;
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT " + t.columnList()
                        + " FROM " + t.name() + " ORDER BY " + dialect.orderByKey(t))) {
                    while (rs.next()) {
                        rows++;
                        for (int i = 0; i < t.columns().size(); i++) {
                            if (MOVING.contains(t.name() + "." + t.columns().get(i).name())) {
                                continue;
                            }
                            Object v = dialect.read(rs, i + 1, t.columns().get(i).type());
                            sha.update(String.valueOf(v).getBytes(StandardCharsets.UTF_8));
                            sha.update((byte) 0);
                        }
                    }
                }
                tables.put(t.name(), rows + " rows " + HexFormat.of().formatHex(sha.digest()));
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot fingerprint " + dialect.describe(), e);
        }
        return tables;
    }
}
