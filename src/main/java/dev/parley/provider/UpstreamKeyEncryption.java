package dev.parley.provider;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals and opens the API keys of tenant upstreams: AES-256-GCM with a random 96-bit nonce per value and a 128-bit
 * tag. A sealed value is {@code v1:<key id>:<base64(nonce | ciphertext | tag)>}; the key id is the first 8 bytes of
 * the SHA-256 of the encryption key, in hex, so a value names the key that opens it without revealing anything of it.
 * The version, key id, tenant id and upstream id are the associated data: a value copied into another row, or with
 * its key id changed, does not open.
 */
public final class UpstreamKeyEncryption {

    private static final String VERSION = "v1";
    private static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private record Key(String id, SecretKeySpec spec) {
    }

    private final Key current;
    /** Every key that opens values, the current one first. */
    private final Map<String, Key> keys = new LinkedHashMap<>();

    /**
     * @param current base64 of 32 bytes, or empty
     * @param old base64 of 32 bytes each
     * @throws InvalidKey naming the variable whose value is not such a key (never the value)
     */
    public UpstreamKeyEncryption(Optional<String> current, List<String> old) {
        this.current = current.filter(s -> !s.isBlank()).map(s -> key(s, "PARLEY_ENCRYPTION_KEY")).orElse(null);
        if (this.current != null) {
            keys.put(this.current.id(), this.current);
        }
        for (String s : old) {
            if (!s.isBlank()) {
                Key k = key(s, "PARLEY_ENCRYPTION_OLD_KEYS");
                keys.putIfAbsent(k.id(), k);
            }
        }
    }

    public static UpstreamKeyEncryption of(EncryptionSettings settings) {
        return new UpstreamKeyEncryption(settings.key(), settings.oldKeys().orElse(List.of()));
    }

    private static Key key(String base64, String variable) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(base64.trim());
        } catch (IllegalArgumentException e) {
            throw new InvalidKey(variable + " is not base64; make a key with: openssl rand -base64 32");
        }
        if (raw.length != KEY_BYTES) {
            throw new InvalidKey(variable + " must be base64 of 32 bytes (it has " + raw.length + "); make a key "
                    + "with: openssl rand -base64 32");
        }
        return new Key(keyId(raw), new SecretKeySpec(raw, "AES"));
    }

    static String keyId(byte[] raw) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(raw);
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether a current key is configured, so that new values can be sealed. */
    public boolean canSeal() {
        return current != null;
    }

    /** The current key's id; empty when none is configured. */
    public Optional<String> currentKeyId() {
        return Optional.ofNullable(current).map(Key::id);
    }

    /** Whether a configured key (current or old) has this id. */
    public boolean canOpen(String keyId) {
        return keys.containsKey(keyId);
    }

    /**
     * Seals {@code plaintext} under the current key, bound to the row it is stored in.
     *
     * @throws NotConfigured when no current key is configured
     */
    public String seal(String plaintext, UUID tenantId, UUID upstreamId) {
        if (current == null) {
            throw new NotConfigured();
        }
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, current.spec(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(aad(current.id(), tenantId, upstreamId));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] out = ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
            return VERSION + ":" + current.id() + ":" + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available: " + e.getMessage(), e);
        }
    }

    /**
     * Opens a value sealed for this row.
     *
     * @throws Unreadable when it is malformed, sealed under a key not configured, altered, or sealed for another row
     */
    public String open(String sealed, UUID tenantId, UUID upstreamId) {
        String keyId = keyIdOf(sealed).orElseThrow(() -> new Unreadable("it is not a sealed value"));
        Key key = keys.get(keyId);
        if (key == null) {
            throw new Unreadable("it was encrypted under key " + keyId + ", which is not configured "
                    + "(PARLEY_ENCRYPTION_KEY, PARLEY_ENCRYPTION_OLD_KEYS)");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(sealed.substring(VERSION.length() + keyId.length() + 2));
        } catch (IllegalArgumentException e) {
            throw new Unreadable("its ciphertext is not base64");
        }
        if (raw.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new Unreadable("its ciphertext is too short");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key.spec(), new GCMParameterSpec(TAG_BITS, raw, 0, NONCE_BYTES));
            cipher.updateAAD(aad(keyId, tenantId, upstreamId));
            return new String(cipher.doFinal(raw, NONCE_BYTES, raw.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new Unreadable("it does not authenticate: it was altered, or belongs to another row");
        } catch (GeneralSecurityException e) {
            throw new Unreadable("it cannot be decrypted (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** The id of the key a value was sealed under; empty when it is not a sealed value. */
    public static Optional<String> keyIdOf(String sealed) {
        if (sealed == null || !sealed.startsWith(VERSION + ":")) {
            return Optional.empty();
        }
        int end = sealed.indexOf(':', VERSION.length() + 1);
        return end < 0 ? Optional.empty() : Optional.of(sealed.substring(VERSION.length() + 1, end));
    }

    /** What may be shown of a secret: its last four characters at most (none of a short one). */
    public static String hint(String plaintext) {
        return plaintext.length() < 12 ? "" : plaintext.substring(plaintext.length() - 4);
    }

    private static byte[] aad(String keyId, UUID tenantId, UUID upstreamId) {
        return (VERSION + "|" + keyId + "|" + tenantId + "|" + upstreamId).getBytes(StandardCharsets.UTF_8);
    }

    /** An encryption key variable that does not hold a key. */
    public static final class InvalidKey extends RuntimeException {
        InvalidKey(String message) {
            super(message, null, false, false);
        }
    }

    /** No current key: nothing new can be sealed. */
    public static final class NotConfigured extends RuntimeException {
        NotConfigured() {
            super("PARLEY_ENCRYPTION_KEY is not set, so upstream API keys cannot be stored; set it to base64 of 32 "
                    + "random bytes (openssl rand -base64 32)", null, false, false);
        }
    }

    /** A stored value that cannot be opened; the message says why, never anything of the value. */
    public static final class Unreadable extends RuntimeException {
        Unreadable(String why) {
            super(why, null, false, false);
        }
    }
}
