package dev.parley.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Key material. Keys carry 256 random bits, so a fast hash is safe to store (no dictionary to attack) and keeps
 * authentication to one cheap indexed lookup.
 */
public final class ApiKeys {

    public static final String PREFIX = "pk_";
    /** The admin key dev mode creates, published in the README: refused outside dev mode. */
    public static final String DEV_KEY = "parley-dev-admin-key";
    private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {
    }

    /** A new key: {@code pk_} followed by 43 base62 characters (256 bits). */
    public static String generate() {
        StringBuilder sb = new StringBuilder(PREFIX);
        for (int i = 0; i < 43; i++) {
            sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    public static String hash(String key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The part of a generated key safe to show in listings: {@code pk_} and 6 of its 43 random characters, enough to
     * recognise it and far too little to use it.
     */
    public static String displayPrefix(String generatedKey) {
        return generatedKey.substring(0, PREFIX.length() + 6);
    }
}
