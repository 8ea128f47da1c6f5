package dev.parley.search;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import dev.parley.store.SearchQuery;
import dev.parley.store.SearchText;

/**
 * The snippet of a hit: a window of the message around its first match, HTML-escaped, with every occurrence of the
 * query's (included) terms wrapped in {@code <mark>}...{@code </mark>}. Made here, once for both backends, so the two
 * mark the same words: tokens compared case- and accent-folded, as both indexes compare them.
 */
public final class Snippets {

    /** Characters of the message shown around the first match (before the ellipses). */
    static final int WINDOW = 200;
    /** How much of the window goes before the first match. */
    static final int LEAD = 60;

    private static final Pattern SPACES = Pattern.compile("\\s+");

    private Snippets() {
    }

    private record Span(int start, int end) {
    }

    public static String of(String content, SearchQuery query) {
        SearchText.Words tokens = new SearchText.Words(content);
        boolean[] marked = new boolean[tokens.count()];
        for (SearchQuery.Term t : query.included()) {
            List<String> needle = SearchText.needle(t);
            if (needle.isEmpty()) {
                continue;
            }
            boolean prefix = t.kind() == SearchQuery.Kind.PREFIX;
            for (int p = 0; p + needle.size() <= tokens.count(); p++) {
                if (tokens.occursAt(p, needle, prefix)) {
                    for (int k = 0; k < needle.size(); k++) {
                        marked[p + k] = true;
                    }
                }
            }
        }
        List<Span> spans = new ArrayList<>();
        for (int i = 0; i < tokens.count(); i++) {
            if (marked[i]) {
                spans.add(new Span(tokens.start(i), tokens.end(i)));
            }
        }
        int from = 0;
        if (!spans.isEmpty() && spans.get(0).start() > LEAD) {
            from = wordStart(content, spans.get(0).start() - LEAD);
        }
        int to = Math.min(content.length(), from + WINDOW);
        if (to < content.length()) {
            to = wordEnd(content, to, from);
        }
        StringBuilder out = new StringBuilder();
        if (from > 0) {
            out.append('…');
        }
        int at = from;
        for (Span s : spans) {
            if (s.start() < from || s.end() > to) {
                continue;
            }
            escape(content, at, s.start(), out);
            out.append("<mark>");
            escape(content, s.start(), s.end(), out);
            out.append("</mark>");
            at = s.end();
        }
        escape(content, at, to, out);
        if (to < content.length()) {
            out.append('…');
        }
        return SPACES.matcher(out).replaceAll(" ").strip();
    }

    /** The start of the word at {@code i} (or {@code i} itself at a space), never splitting a surrogate pair. */
    private static int wordStart(String s, int i) {
        int j = i;
        while (j > 0 && !Character.isWhitespace(s.charAt(j - 1)) && i - j < 20) {
            j--;
        }
        if (j > 0 && !Character.isWhitespace(s.charAt(j - 1))) {
            j = i;
        }
        return Character.isLowSurrogate(s.charAt(j)) ? j + 1 : j;
    }

    /** The end of the word around {@code i}, if one ends shortly before it; never splitting a surrogate pair. */
    private static int wordEnd(String s, int i, int from) {
        int j = i;
        while (j > from && !Character.isWhitespace(s.charAt(j - 1)) && i - j < 20) {
            j--;
        }
        if (j == from || !Character.isWhitespace(s.charAt(j - 1))) {
            j = i;
        }
        return j < s.length() && Character.isLowSurrogate(s.charAt(j)) ? j - 1 : j;
    }

    private static void escape(String s, int from, int to, StringBuilder out) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
    }
}
