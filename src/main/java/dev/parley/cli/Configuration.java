package dev.parley.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.time.Duration;
import java.util.Map;

import dev.parley.ops.ActiveBackend;
import dev.parley.ops.BackupSettings;
import dev.parley.provider.EncryptionSettings;
import dev.parley.provider.UpstreamKeyEncryption;
import dev.parley.store.DatabaseUrl;
import dev.parley.store.Dialect;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * The server's configuration, read by the operations commands without booting the server: the same sources
 * (environment, system properties, {@code application.properties} in its {@code prod} profile) and the same typed
 * mappings, so every {@code PARLEY_*} variable means the same to {@code parley backup} as to the server.
 */
final class Configuration {

    private final SmallRyeConfig config;

    private Configuration(SmallRyeConfig config) {
        this.config = config;
    }

    static Configuration load() {
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder()
                .addDefaultSources()
                .addDefaultInterceptors()
                .withSources(applicationProperties())
                .withProfile("prod")
                .withConverter(Duration.class, 200, new DurationConverter())
                .withConverter(MemorySize.class, 200, new MemorySizeConverter())
                .withMapping(BackupSettings.class)
                .withMapping(EncryptionSettings.class);
        ActiveBackend.SETTINGS.forEach(builder::withMapping);
        return new Configuration(builder.build());
    }

    /** application.properties at the ordinal Quarkus gives it, below environment variables and system properties. */
    private static PropertiesConfigSource applicationProperties() {
        URL url = Configuration.class.getClassLoader().getResource("application.properties");
        try {
            return url == null ? new PropertiesConfigSource(Map.of(), "application.properties", 250)
                    : new PropertiesConfigSource(url, 250);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + url, e);
        }
    }

    /** The encryption keys ({@code PARLEY_ENCRYPTION_KEY}, {@code PARLEY_ENCRYPTION_OLD_KEYS}), as the server reads them. */
    UpstreamKeyEncryption encryption() {
        return UpstreamKeyEncryption.of(config.getConfigMapping(EncryptionSettings.class));
    }

    BackupSettings backups() {
        return config.getConfigMapping(BackupSettings.class);
    }

    /** {@code --database-url} when given, else the server's ({@code PARLEY_DATABASE_URL}, {@code DATABASE_URL}). */
    DatabaseUrl databaseUrl(CommandLine cl, String command) {
        try {
            return cl.has("database-url") ? DatabaseUrl.parse(cl.get("database-url"))
                    : DatabaseUrl.fromConfig(name -> config.getOptionalValue(name, String.class).orElse(null));
        } catch (DatabaseUrl.Invalid e) {
            throw CommandLine.Failure.usage(command + ": " + e.getMessage());
        }
    }

    /** The adapter's offline side for {@code url}, with these settings. */
    Dialect dialect(DatabaseUrl url) {
        return ActiveBackend.dialect(url, config);
    }
}
