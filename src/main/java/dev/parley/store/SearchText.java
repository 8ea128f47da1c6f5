package dev.parley.store;

import java.util.ArrayList;
import java.util.List;

/**
 * Text split into words the way both indexes split it, near enough to compare words in Java: runs of letters, digits
 * and combining marks (a run of CJK characters with no space in it is one word), each case- and accent-folded
 * ({@link SearchQuery#fold}). Used to mark a hit's matches in its snippet and, on SQLite, to count them for the rank.
 */
public final class SearchText {

    private SearchText() {
    }

    /** A word of the text: where it is ({@code start} to {@code end}, exclusive) and what it is folded. */
    public record Word(int start, int end, String folded) {
    }

    /** The words of {@code text}, folded. */
    public static List<Word> words(String text) {
        List<Word> words = new ArrayList<>();
        split(text, (start, end) -> words.add(new Word(start, end, SearchQuery.fold(text.substring(start, end)))));
        return words;
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

    /**
     * Whether {@code needle} occurs in {@code words} starting at {@code at}: word for word, the last one only as a
     * prefix when {@code prefix}.
     */
    public static boolean occursAt(List<Word> words, int at, List<String> needle, boolean prefix) {
        if (at + needle.size() > words.size()) {
            return false;
        }
        for (int k = 0; k < needle.size(); k++) {
            String word = words.get(at + k).folded();
            boolean last = k == needle.size() - 1;
            if (!(last && prefix ? word.startsWith(needle.get(k)) : word.equals(needle.get(k)))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isWordChar(int cp) {
        return Character.isLetterOrDigit(cp) || Character.getType(cp) == Character.OTHER_NUMBER;
    }

    private static boolean isMark(int cp) {
        int t = Character.getType(cp);
        return t == Character.NON_SPACING_MARK || t == Character.COMBINING_SPACING_MARK
                || t == Character.ENCLOSING_MARK;
    }

    /** Where a word of a text starts and ends (exclusive). */
    public interface Span {
        void at(int start, int end);
    }

    /** Calls {@code span} for each word of {@code text}, in order. */
    public static void split(String text, Span span) {
        int start = -1;
        for (int i = 0; i < text.length();) {
            int cp = text.codePointAt(i);
            boolean part = isWordChar(cp) || (start >= 0 && isMark(cp));
            if (part && start < 0) {
                start = i;
            } else if (!part && start >= 0) {
                span.at(start, i);
                start = -1;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            span.at(start, text.length());
        }
    }
}
