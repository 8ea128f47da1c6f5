package dev.parley.provider;

import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;

/**
 * The keys that encrypt secrets at rest (tenant upstreams' API keys): {@code PARLEY_ENCRYPTION_KEY} encrypts, and it
 * and the keys in {@code PARLEY_ENCRYPTION_OLD_KEYS} decrypt. Each is base64 of 32 random bytes.
 */
@ConfigMapping(prefix = "parley.encryption")
public interface EncryptionSettings {

    /** The current key; unset: tenant upstreams cannot be stored, and stored ones cannot be used. */
    Optional<String> key();

    /** Comma-separated former keys, kept while values sealed under them remain (see rotate-encryption-key). */
    Optional<List<String>> oldKeys();
}
