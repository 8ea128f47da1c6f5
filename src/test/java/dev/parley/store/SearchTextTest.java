package dev.parley.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link SearchText}'s splitting (an ASCII table, Unicode categories beyond) and its {@link SearchText.Words} (ASCII
 * words compared in place, others folded when first compared) against the plain forms they replaced: every code point
 * by its category, every word substring-copied and folded. Texts mix ASCII, accented Latin, combining marks, CJK,
 * other numbers, spacing marks, emoji (surrogate pairs) and lone surrogates.
 */
class SearchTextTest {

    private static final String[] PIECES = {"a", "Z", "q", "7", " ", ".", "-", "_", "'", "\n", "é", "É", "ß", "ª", "²",
        "½", "①", "\u0301", "e\u0301", "中", "文", "क", "\u093F", "😀", "\uD83D", "\uDE00", "ı", "İ", "K", "ﬁ",
        "Ω", "٣", "\u200B", "\t", "Straße", "CAFÉ", "cafe", "naïve"};

    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.of(PIECES).list().ofMaxSize(40).map(l -> String.join("", l));
    }

    @Property(tries = 3000)
    void splitsAsEveryCodePointByItsCategory(@ForAll("texts") String text) {
        List<int[]> actual = new ArrayList<>();
        SearchText.split(text, (start, end) -> actual.add(new int[] {start, end}));
        assertThat(actual).usingRecursiveFieldByFieldElementComparator().containsExactlyElementsOf(reference(text));
    }

    @Property(tries = 3000)
    void wordsMatchAsFoldedCopiesWould(@ForAll("texts") String text, @ForAll("texts") String other) {
        List<int[]> spans = reference(text);
        List<String> folded = spans.stream().map(s -> SearchQuery.fold(text.substring(s[0], s[1]))).toList();
        SearchText.Words words = new SearchText.Words(text);
        assertThat(words.count()).isEqualTo(spans.size());
        for (int i = 0; i < spans.size(); i++) {
            assertThat(words.start(i)).isEqualTo(spans.get(i)[0]);
            assertThat(words.end(i)).isEqualTo(spans.get(i)[1]);
        }
        // needles: runs of the text's own folded words, their beginnings, and another text's words
        List<List<String>> needles = new ArrayList<>();
        for (int i = 0; i < folded.size(); i++) {
            needles.add(List.of(folded.get(i)));
            if (folded.get(i).length() > 1) {
                needles.add(List.of(folded.get(i).substring(0, folded.get(i).length() / 2)));
            }
            if (i + 1 < folded.size()) {
                needles.add(folded.subList(i, i + 2));
            }
        }
        reference(other).forEach(s -> needles.add(List.of(SearchQuery.fold(other.substring(s[0], s[1])))));
        for (List<String> needle : needles) {
            for (boolean prefix : new boolean[] {false, true}) {
                int count = 0;
                for (int at = 0; at <= folded.size(); at++) {
                    boolean expected = occursAt(folded, at, needle, prefix);
                    assertThat(words.occursAt(at, needle, prefix)).as("%s at %d in %s", needle, at, folded)
                            .isEqualTo(expected);
                    count += expected ? 1 : 0;
                }
                assertThat(words.occurrences(needle, prefix)).isEqualTo(count);
            }
        }
    }

    /** The splitting as it was: each code point's category, one by one. */
    private static List<int[]> reference(String text) {
        List<int[]> spans = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < text.length();) {
            int cp = text.codePointAt(i);
            int type = Character.getType(cp);
            boolean mark = type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
                    || type == Character.ENCLOSING_MARK;
            boolean part = Character.isLetterOrDigit(cp) || type == Character.OTHER_NUMBER || (start >= 0 && mark);
            if (part && start < 0) {
                start = i;
            } else if (!part && start >= 0) {
                spans.add(new int[] {start, i});
                start = -1;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            spans.add(new int[] {start, text.length()});
        }
        return spans;
    }

    private static boolean occursAt(List<String> words, int at, List<String> needle, boolean prefix) {
        if (at + needle.size() > words.size()) {
            return false;
        }
        for (int k = 0; k < needle.size(); k++) {
            String word = words.get(at + k);
            boolean last = k == needle.size() - 1;
            if (!(last && prefix ? word.startsWith(needle.get(k)) : word.equals(needle.get(k)))) {
                return false;
            }
        }
        return true;
    }
}
