package dev.parley.store;

/**
 * Text both databases store exactly: no NUL character (PostgreSQL's text and jsonb reject it) and no unpaired
 * UTF-16 surrogate (not a character; PostgreSQL rejects its encoding). Client input with either is refused;
 * text Parley only passes on (a model's reply) has them replaced by U+FFFD.
 */
public final class StorableText {

    public static final char REPLACEMENT = '\uFFFD';

    private StorableText() {
    }

    /** The index of the first character that cannot be stored, or -1. */
    public static int firstUnstorable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\0') {
                return i;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return i;
            }
            if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /** Why the character at {@code index} cannot be stored, for an error message. */
    public static String describe(String s, int index) {
        return s.charAt(index) == '\0' ? "a NUL character (\\u0000)" : "an unpaired surrogate (\\u"
                + String.format("%04X", (int) s.charAt(index)) + ")";
    }

    /** {@code s} with every character that cannot be stored replaced by U+FFFD. */
    public static String sanitize(String s) {
        int first = firstUnstorable(s);
        if (first < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        sb.append(s, 0, first);
        for (int i = first; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else if (c == '\0' || Character.isSurrogate(c)) {
                sb.append(REPLACEMENT);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
