package dev.parley.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Text split into words the way both indexes split it, near enough to compare words in Java: runs of letters, digits
 * and combining marks (a run of CJK characters with no space in it is one word), each case- and accent-folded
 * ({@link SearchQuery#fold}). Used to mark a hit's matches in its snippet and, on SQLite, to count them for the rank.
 */
public final class SearchText {

    private SearchText() {
    }

    /** The words of {@code text} as written (not folded). */
    public static List<String> raw(String text) {
        List<String> words = new ArrayList<>();
        split(text, (start, end) -> words.add(text.substring(start, end)));
        return words;
    }

    /** The folded words a query term looks for, in order (several for a phrase, or a word the tokenizer splits). */
    public static List<String> needle(SearchQuery.Term term) {
        return raw(term.text()).stream().map(SearchQuery::fold).toList();
    }

    private static boolean isWordChar(int cp) {
        return Character.isLetterOrDigit(cp) || Character.getType(cp) == Character.OTHER_NUMBER;
    }

    private static boolean isMark(int cp) {
        int t = Character.getType(cp);
        return t == Character.NON_SPACING_MARK || t == Character.COMBINING_SPACING_MARK
                || t == Character.ENCLOSING_MARK;
    }

    /** Which ASCII characters are part of a word: letters and digits (no ASCII character is a mark). */
    private static final boolean[] ASCII_WORD = new boolean[128];

    static {
        for (int c = 0; c < 128; c++) {
            ASCII_WORD[c] = isWordChar(c);
        }
    }

    /** Where a word of a text starts and ends (exclusive). */
    public interface Span {
        void at(int start, int end);
    }

    /** A {@link Span} that is also told whether the word is all ASCII. */
    interface AsciiSpan {
        void at(int start, int end, boolean ascii);
    }

    /** Calls {@code span} for each word of {@code text}, in order. */
    public static void split(String text, Span span) {
        split(text, (AsciiSpan) (start, end, ascii) -> span.at(start, end));
    }

    /** The one splitting loop: ASCII characters by a table, others by their Unicode category. */
    static void split(String text, AsciiSpan span) {
        int start = -1;
        boolean ascii = true;
        int length = text.length();
        for (int i = 0; i < length;) {
            char c = text.charAt(i);
            boolean part;
            int width = 1;
            if (c < 0x80) {
                part = ASCII_WORD[c];
            } else {
                int cp = Character.isHighSurrogate(c) ? text.codePointAt(i) : c;
                width = Character.charCount(cp);
                part = isWordChar(cp) || (start >= 0 && isMark(cp));
                ascii &= !part;
            }
            if (part && start < 0) {
                start = i;
                ascii = c < 0x80;
            } else if (!part && start >= 0) {
                span.at(start, i, ascii);
                start = -1;
            }
            i += width;
        }
        if (start >= 0) {
            span.at(start, length, ascii);
        }
    }

    /**
     * A text's words, compared with folded needles without copying: a word of ASCII letters and digits is compared in
     * place, ignoring case (its folding is only that); any other is folded once, when first compared. What the rank
     * counts and the snippet marks, for every hit shown or ranked, so made cheap.
     */
    public static final class Words {

        private final String text;
        private int[] bounds = new int[128];
        private boolean[] ascii = new boolean[64];
        private String[] folded;
        private int count;

        public Words(String text) {
            this.text = text;
            split(text, (AsciiSpan) this::add);
        }

        private void add(int start, int end, boolean plain) {
            if (2 * count + 2 > bounds.length) {
                bounds = Arrays.copyOf(bounds, bounds.length * 2);
                ascii = Arrays.copyOf(ascii, ascii.length * 2);
            }
            bounds[2 * count] = start;
            bounds[2 * count + 1] = end;
            ascii[count++] = plain;
        }

        /** How many words. */
        public int count() {
            return count;
        }

        public int start(int word) {
            return bounds[2 * word];
        }

        public int end(int word) {
            return bounds[2 * word + 1];
        }

        /** How many times {@code needle} (folded words, the last a prefix when {@code prefix}) occurs. */
        public int occurrences(List<String> needle, boolean prefix) {
            int n = 0;
            for (int at = 0; at + needle.size() <= count; at++) {
                if (occursAt(at, needle, prefix)) {
                    n++;
                }
            }
            return n;
        }

        /**
         * Whether {@code needle} occurs starting at word {@code at}: word for word, the last one only as a prefix when
         * {@code prefix}.
         */
        public boolean occursAt(int at, List<String> needle, boolean prefix) {
            if (at + needle.size() > count) {
                return false;
            }
            for (int k = 0; k < needle.size(); k++) {
                if (!is(at + k, needle.get(k), prefix && k == needle.size() - 1)) {
                    return false;
                }
            }
            return true;
        }

        private boolean is(int w, String word, boolean prefix) {
            int start = bounds[2 * w];
            int length = bounds[2 * w + 1] - start;
            if (ascii[w]) { // folding ASCII is lower-casing it; the needle is folded already
                int n = word.length();
                if (prefix ? length < n : length != n) {
                    return false;
                }
                for (int i = 0; i < n; i++) {
                    char c = text.charAt(start + i);
                    if ((c >= 'A' && c <= 'Z' ? (char) (c + 32) : c) != word.charAt(i)) {
                        return false;
                    }
                }
                return true;
            }
            if (folded == null) {
                folded = new String[count];
            }
            if (folded[w] == null) {
                folded[w] = SearchQuery.fold(text.substring(start, start + length));
            }
            return prefix ? folded[w].startsWith(word) : folded[w].equals(word);
        }
    }
}
