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

    /** The part of a key safe to show in listings: enough to recognise it, far too little to use it. */
    public static String displayPrefix(String key) {
        int visible = key.startsWith(PREFIX) ? PREFIX.length() + 6 : key.length() / 4;
        return key.substring(0, Math.min(visible, key.length() / 4 + PREFIX.length()));
    }
}
