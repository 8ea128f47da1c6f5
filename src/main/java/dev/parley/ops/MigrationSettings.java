package dev.parley.ops;

import jakarta.enterprise.context.ApplicationScoped;

import org.flywaydb.core.api.configuration.FluentConfiguration;

import dev.parley.ops.data.Migrations;
import io.quarkus.flyway.FlywayConfigurationCustomizer;
import io.quarkus.flyway.FlywayDataSource;

/** Parley's migration settings ({@link Migrations#settings}) on the Flyway instances Quarkus makes, one per backend. */
final class MigrationSettings {

    private MigrationSettings() {
    }

    @ApplicationScoped
    @FlywayDataSource("sqlitewriter")
    static class Sqlite implements FlywayConfigurationCustomizer {
        @Override
        public void customize(FluentConfiguration configuration) {
            Migrations.settings(configuration);
        }
    }

    @ApplicationScoped
    @FlywayDataSource("pgjdbc")
    static class Postgres implements FlywayConfigurationCustomizer {
        @Override
        public void customize(FluentConfiguration configuration) {
            Migrations.settings(configuration);
        }
    }
}
