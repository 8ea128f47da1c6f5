package dev.parley.ops.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.parley.store.DatabaseUrl;
import dev.parley.store.Table;
import dev.parley.store.Timestamps;
import dev.parley.store.UuidV7;
import dev.parley.testing.Dialects;

/** Populated databases for the operations tests: bulk rows plus every type edge case Parley stores. */
final class SampleData {

    static final Instant EPOCH = Instant.EPOCH;
    static final Instant FAR_FUTURE = Instant.parse("9999-12-31T23:59:59.999999Z");
    static final String LONG_TEXT = "long ".repeat(250_000) + "end"; // ~1.2 MB
    static final String TRICKY_TEXT = "tab\there\nnewline\r\nCRLF \\N backslash-N \\ backslash 'quote' \"dq\" "
            + "unicode: café ñ 中文 العربية emoji: 🚀👩‍👩‍👧 \u2028 end";
    static final String NESTED_JSON = "{\"z\":1,\"a\":{\"deep\":[1,2.50,{\"x\":null,\"y\":true,\"e\":1e2}],"
            + "\"s\":\"é\\u00e9 \\\"q\\\" 🚀\"},\"empty\":{},\"list\":[]}";

    /** A tenant upstream's API key, sealed in the sample data under {@link #UPSTREAM_KEYS}. */
    static final String UPSTREAM_SECRET = "sk-sample-0123456789WXYZ";
    static final dev.parley.provider.UpstreamKeyEncryption UPSTREAM_KEYS = new dev.parley.provider.UpstreamKeyEncryption(
            Optional.of("O35AdqSNQixX/C707AqMfpPcQS2V5Vxs6P2bNzgxHPc="), List.of());

    private SampleData() {
    }

    static DatabaseUrl sqliteFile(Path dir, String name) {
        return DatabaseUrl.parse("sqlite:" + dir.resolve(name));
    }

    static DatabaseUrl newPostgres() {
        return DatabaseUrl.parse(dev.parley.testing.TestPostgres.newDatabase());
    }

    /** Opens (creating and migrating) a database. */
    static OpsDatabase migrated(DatabaseUrl url) {
        OpsDatabase db = OpsDatabase.open(Dialects.of(url), true, true);
        Migrations.apply(db.flyway(), Optional::empty, line -> {
        });
        return db;
    }

    /** Two tenants, keys, {@code conversations} conversations with {@code messagesEach} messages, and edge cases. */
    static void populate(OpsDatabase db, int conversations, int messagesEach) throws SQLException {
        db.connection().setAutoCommit(false);
        UUID t1 = UuidV7.next();
        UUID t2 = UuidV7.next();
        Instant now = Timestamps.now();
        Table tenants = Table.named("tenants");
        db.insert(tenants, List.of(tenants.row("id", t1, "name", "Acme 🚀", "created_at", EPOCH),
                tenants.row("id", t2, "name", TRICKY_TEXT, "created_at", FAR_FUTURE, "requests_per_minute", 60L,
                        "tokens_per_minute", 0L, "concurrent_turns", 4L, "monthly_token_budget", Long.MAX_VALUE,
                        "allowed_models", "demo,model-é")));
        UUID k1 = UuidV7.next();
        UUID k2 = UuidV7.next();
        db.insert(Table.named("api_keys"), List.of(
                new Object[] { k1, t1, "admin", "pk_abcdef", "hash-1", now, null, null, "admin", null, null, null,
                        null, null },
                new Object[] { k2, t2, "user", "pk_ghijkl", "hash-2", EPOCH, FAR_FUTURE, now,
                        "chat,keys,read", FAR_FUTURE, 1L, 1_000_000L, null, 0L }));
        List<Object[]> convs = new ArrayList<>();
        List<Object[]> msgs = new ArrayList<>();
        UUID edge = UuidV7.next();
        convs.add(new Object[] { edge, t2, null, "model-é", true, EPOCH, FAR_FUTURE, NESTED_JSON });
        msgs.add(new Object[] { UuidV7.next(), t2, edge, "user", LONG_TEXT, 0L, 0L, null, EPOCH, null, null });
        msgs.add(new Object[] { UuidV7.next(), t2, edge, "assistant", TRICKY_TEXT, (long) Integer.MAX_VALUE, 7L,
                "client_disconnected", FAR_FUTURE, k2, "model-é" });
        msgs.add(new Object[] { UuidV7.next(), t2, edge, "system", "", 0L, 0L, "", now, null, null });
        for (int c = 0; c < conversations; c++) {
            UUID conv = UuidV7.next();
            UUID tenant = c % 2 == 0 ? t1 : t2;
            convs.add(new Object[] { conv, tenant, "Conversation " + c, "demo", c % 5 == 0, now, now,
                    c % 3 == 0 ? "{\"n\":" + c + ",\"tags\":[\"a\",\"b\"]}" : null });
            for (int m = 0; m < messagesEach; m++) {
                msgs.add(new Object[] { UuidV7.next(), tenant, conv, m % 2 == 0 ? "user" : "assistant",
                        "message " + m + " of conversation " + c + " — ünïcödé", (long) m, (long) m * 2,
                        m % 2 == 0 ? null : "stop", now.plusNanos(m * 1000L), m % 2 == 0 ? null : k1,
                        m % 2 == 0 ? null : "demo" });
            }
        }
        db.insert(Table.named("conversations"), convs);
        db.insert(Table.named("messages"), msgs);
        UUID upstream = UuidV7.next();
        db.insert(Table.named("tenant_upstreams"), List.<Object[]> of(new Object[] { upstream, t1, "byok 🚀",
                "https://api.example.com/v1", "m1,m2", UPSTREAM_KEYS.seal(UPSTREAM_SECRET, t1, upstream),
                UPSTREAM_KEYS.currentKeyId().orElseThrow(), "WXYZ", EPOCH, FAR_FUTURE }));
        db.insert(Table.named("heartbeats"), List.of(new Object[] { "host-a", now },
                new Object[] { "Host-B", EPOCH }, new Object[] { "zeta", now }, new Object[] { "éclair", now }));
        // usage: rollups of each grain, limit counters and turns in flight, with the nil key of replies stored
        // before usage was counted and the largest counts
        UUID unknownKey = new UUID(0, 0);
        db.insert(Table.named("usage_daily"), List.of(
                new Object[] { UuidV7.next(), t1, k1, "demo", "2026-01-31", "stop", 3L, 30L, 60L },
                new Object[] { UuidV7.next(), t2, unknownKey, "model-é", "1970-01-01", "client_disconnected", 1L,
                        (long) Integer.MAX_VALUE, 7L }));
        db.insert(Table.named("usage_tenant_daily"), List.of(
                new Object[] { UuidV7.next(), t1, "demo", "2026-01-31", "stop", 3L, 30L, 60L },
                new Object[] { UuidV7.next(), t2, "model-é", "1970-01-01", "length", Long.MAX_VALUE, 0L, 0L }));
        db.insert(Table.named("usage_key_monthly"), List.<Object[]> of(
                new Object[] { UuidV7.next(), t1, k1, "demo", "2026-01", "stop", 3L, 30L, 60L }));
        db.insert(Table.named("usage_key_only_daily"), List.of(
                new Object[] { UuidV7.next(), t1, k1, "2026-01-31", "stop", 3L, 30L, 60L },
                new Object[] { UuidV7.next(), t2, unknownKey, "1970-01-01", "client_disconnected", 1L,
                        (long) Integer.MAX_VALUE, 7L }));
        db.insert(Table.named("usage_key_only_monthly"), List.<Object[]> of(
                new Object[] { UuidV7.next(), t1, k1, "2026-01", "stop", 3L, 30L, 60L }));
        db.insert(Table.named("usage_key_yearly"), List.<Object[]> of(
                new Object[] { UuidV7.next(), t1, k1, "demo", "2026", "stop", 3L, 30L, 60L }));
        db.insert(Table.named("usage_key_only_yearly"), List.<Object[]> of(
                new Object[] { UuidV7.next(), t1, k1, "2026", "stop", 3L, 30L, 60L },
                new Object[] { UuidV7.next(), t2, unknownKey, "1970", "client_disconnected", 1L,
                        (long) Integer.MAX_VALUE, 7L }));
        db.insert(Table.named("usage_windows"), List.of(
                new Object[] { UuidV7.next(), t1, "2026-01", 3L, 90L },
                new Object[] { UuidV7.next(), k2, "2026-01-31T23:59", 1L, -5L }));
        db.insert(Table.named("usage_in_flight"), List.<Object[]> of(
                new Object[] { UuidV7.next(), t2, "host-a", 2L }));
        db.connection().commit();
        db.connection().setAutoCommit(true);
    }

    static long rows(OpsDatabase db) throws SQLException {
        long n = 0;
        for (Table t : Table.ALL) {
            n += db.count(t);
        }
        return n;
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (Exception ignored) {
            // temp files
        }
    }
}
