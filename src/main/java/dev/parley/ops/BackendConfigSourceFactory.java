package dev.parley.ops;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.common.MapBackedConfigSource;

/**
 * Turns {@code DATABASE_URL} into datasource settings at runtime, so one build serves either backend.
 *
 * <p>
 * The datasource kinds are fixed at build time (PostgreSQL is the default, reactive datasource plus {@code pgjdbc} for Flyway, SQLite the named
 * {@code sqlite} reader and {@code sqlitewriter} writer datasources); this source only switches the active ones on
 * and hands them their URLs. Its ordinal sits above {@code application.properties} and below environment variables,
 * so an operator can still override any single Quarkus property.
 */
public class BackendConfigSourceFactory implements ConfigSourceFactory {

    static final String ERROR_PROPERTY = "parley.database-url.error";

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        // parley.database-url (also PARLEY_DATABASE_URL) wins, so that test profiles can point at their own database
        // even when the shell running the tests has DATABASE_URL exported.
        ConfigValue raw = context.getValue("parley.database-url");
        if (raw == null || raw.getValue() == null) {
            raw = context.getValue("DATABASE_URL");
        }
        Map<String, String> props = new HashMap<>();
        try {
            DatabaseUrl url = DatabaseUrl.parse(raw == null ? null : raw.getValue());
            boolean sqlite = url.isSqlite();
            props.put("parley.backend", url.backend().id());
            props.put("parley.database.description", url.describe());
            props.put("quarkus.datasource.active", String.valueOf(!sqlite));
            props.put("quarkus.datasource.pgjdbc.active", String.valueOf(!sqlite));
            props.put("quarkus.hibernate-orm.active", String.valueOf(!sqlite));
            props.put("quarkus.datasource.sqlite.active", String.valueOf(sqlite));
            props.put("quarkus.datasource.sqlitewriter.active", String.valueOf(sqlite));
            if (sqlite) {
                props.put("parley.sqlite.path", url.sqlitePath().toString());
            } else {
                props.put("quarkus.datasource.reactive.url", url.reactivePostgresUrl());
                props.put("quarkus.datasource.pgjdbc.jdbc.url", url.jdbcPostgresUrl());
                for (String ds : List.of("quarkus.datasource.", "quarkus.datasource.pgjdbc.")) {
                    if (url.username() != null) {
                        props.put(ds + "username", url.username());
                    }
                    if (url.password() != null) {
                        props.put(ds + "password", url.password());
                    }
                }
                props.put("parley.sqlite.path", "");
            }
        } catch (DatabaseUrl.Invalid e) {
            props.put(ERROR_PROPERTY, e.getMessage());
            props.put("parley.backend", "none");
            props.put("quarkus.datasource.active", "false");
            props.put("quarkus.datasource.pgjdbc.active", "false");
            props.put("quarkus.hibernate-orm.active", "false");
            props.put("quarkus.datasource.sqlite.active", "false");
            props.put("quarkus.datasource.sqlitewriter.active", "false");
            props.put("parley.sqlite.path", "");
        }
        return List.of(new MapBackedConfigSource("ParleyBackendConfigSource", props, 275) {
        });
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(275);
    }
}
