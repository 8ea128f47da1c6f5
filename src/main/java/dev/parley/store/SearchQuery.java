package dev.parley.store;

import java.text.Normalizer;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A parsed search query (see {@code search.SearchQueryParser}): the terms every hit must contain, and the excluded
 * ones none may contain. Each adapter renders it in its own dialect, with every piece of user text bound as a
 * parameter or quoted as a single token, so user input never reaches FTS5 or tsquery syntax raw.
 */
public record SearchQuery(List<Term> terms) {

    public SearchQuery {
        terms = List.copyOf(terms);
        if (terms.stream().allMatch(Term::excluded)) {
            throw new IllegalArgumentException("a search needs at least one term that is not excluded");
        }
    }

    public enum Kind {
        /** One word as typed; the database's tokenizer splits it (e.g. "e-mail") the way it splits the text. */
        WORD,
        /** Words that must appear next to each other, in this order. */
        PHRASE,
        /**
         * Words whose last one may continue ({@code transl*}). {@link Term#text} holds only letters, digits and
         * combining marks, tokens separated by single spaces, so it can be quoted safely in either dialect.
         */
        PREFIX
    }

    public record Term(Kind kind, String text, boolean excluded) {
    }

    private static final Pattern MARKS = Pattern.compile("\\p{M}+");

    /**
     * Case and accents folded (decomposed, combining marks dropped, lower-cased): what the indexes do to a word, near
     * enough to compare words in Java (snippets, PostgreSQL's word statistics).
     */
    public static String fold(String word) {
        boolean ascii = true;
        boolean lower = true;
        for (int i = 0; i < word.length() && ascii; i++) {
            char c = word.charAt(i);
            ascii = c < 0x80;
            lower &= c < 'A' || c > 'Z';
        }
        if (ascii) {
            return lower ? word : word.toLowerCase(Locale.ROOT); // nothing to decompose: the common case, made cheap
        }
        return MARKS.matcher(Normalizer.normalize(word, Normalizer.Form.NFD)).replaceAll("").toLowerCase(Locale.ROOT);
    }

    public List<Term> included() {
        return terms.stream().filter(t -> !t.excluded()).toList();
    }

    public List<Term> excludedTerms() {
        return terms.stream().filter(Term::excluded).toList();
    }
}
