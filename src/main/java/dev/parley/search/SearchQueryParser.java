package dev.parley.search;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

import dev.parley.store.SearchQuery;
import dev.parley.store.SearchText;
import dev.parley.store.SearchQuery.Kind;
import dev.parley.store.SearchQuery.Term;
import dev.parley.store.StorableText;

/**
 * The query syntax of {@code GET /api/search}, and nothing more: words (all must match), {@code "exact phrase"},
 * {@code -excluded} (a word or a phrase), {@code prefix*}. Everything else the user types is text to look for: a
 * quote left open runs to the end, {@code NEAR(}, {@code :*}, {@code &|!} and the like are only characters, and a
 * term with no letter or digit in it is dropped, because neither database indexes anything for it.
 */
public final class SearchQueryParser {

    public static final int MAX_LENGTH = 500;
    public static final int MAX_TERMS = 16;

    private SearchQueryParser() {
    }

    /** @throws IllegalArgumentException with a sentence for the client when the query cannot be searched for */
    public static SearchQuery parse(String q) {
        if (q == null || q.isBlank()) {
            throw new IllegalArgumentException("q is required: the words to look for");
        }
        if (q.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("q must be at most " + MAX_LENGTH + " characters");
        }
        int bad = StorableText.firstUnstorable(q);
        if (bad >= 0) {
            throw new IllegalArgumentException("q contains " + StorableText.describe(q, bad));
        }
        String s = Normalizer.normalize(q, Normalizer.Form.NFC);
        List<Term> terms = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            if (Character.isWhitespace(s.charAt(i))) {
                i++;
                continue;
            }
            boolean excluded = false;
            if (s.charAt(i) == '-' && i + 1 < n && !Character.isWhitespace(s.charAt(i + 1))) {
                excluded = true;
                i++;
            }
            String text;
            Kind kind;
            if (s.charAt(i) == '"') {
                int close = s.indexOf('"', i + 1);
                text = close < 0 ? s.substring(i + 1) : s.substring(i + 1, close);
                i = close < 0 ? n : close + 1;
                kind = Kind.PHRASE;
                if (i < n && s.charAt(i) == '*') {
                    kind = Kind.PREFIX;
                    while (i < n && s.charAt(i) == '*') {
                        i++;
                    }
                }
            } else {
                int end = i;
                while (end < n && !Character.isWhitespace(s.charAt(end))) {
                    end++;
                }
                text = s.substring(i, end);
                i = end;
                kind = Kind.WORD;
                if (text.endsWith("*")) {
                    kind = Kind.PREFIX;
                    text = text.replaceAll("\\*+$", "");
                }
            }
            List<String> tokens = SearchText.raw(text); // split as both indexes split text
            if (tokens.isEmpty()) {
                continue;
            }
            terms.add(new Term(kind, kind == Kind.PREFIX ? String.join(" ", tokens) : text.strip(), excluded));
        }
        if (terms.size() > MAX_TERMS) {
            throw new IllegalArgumentException("q may have at most " + MAX_TERMS + " terms");
        }
        if (terms.isEmpty()) {
            throw new IllegalArgumentException("q has no letter or digit to look for");
        }
        if (terms.stream().allMatch(Term::excluded)) {
            throw new IllegalArgumentException("q needs at least one word to look for that is not excluded");
        }
        return new SearchQuery(terms);
    }
}
