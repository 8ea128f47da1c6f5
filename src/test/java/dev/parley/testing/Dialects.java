package dev.parley.testing;

import java.time.Duration;

import dev.parley.ops.ActiveBackend;
import dev.parley.store.DatabaseUrl;
import dev.parley.store.Dialect;
import dev.parley.store.sqlite.SqliteSettings;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfigBuilder;

/** The adapters' offline side for tests that work on database files without a server, with default settings. */
public final class Dialects {

    private static final SqliteSettings DEFAULTS = new SmallRyeConfigBuilder()
            .withConverter(Duration.class, 200, new DurationConverter())
            .withMapping(SqliteSettings.class).build().getConfigMapping(SqliteSettings.class);

    private Dialects() {
    }

    public static Dialect of(DatabaseUrl url) {
        return ActiveBackend.dialect(url, DEFAULTS);
    }

    public static Dialect of(String url) {
        return of(DatabaseUrl.parse(url));
    }

    public static SqliteSettings sqliteDefaults() {
        return DEFAULTS;
    }
}
