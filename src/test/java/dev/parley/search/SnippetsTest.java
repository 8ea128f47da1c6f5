package dev.parley.search;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Snippets: HTML-escaped text, every occurrence of the included terms marked, a window around the first match. */
class SnippetsTest {

    static String snippet(String content, String q) {
        return Snippets.of(content, SearchQueryParser.parse(q));
    }

    @Test
    void markupInTheMessageIsEscapedAndOnlyMatchesAreMarked() {
        assertThat(snippet("<b>bold</b> & \"café\" <mark>x</mark>", "cafe -bold"))
                .isEqualTo("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;<mark>café</mark>&quot; &lt;mark&gt;x&lt;/mark&gt;");
    }

    @Test
    void phrasesMarkOnlyTheirWordsInOrderAndPrefixesTheWordsTheyStart() {
        assertThat(snippet("fox brown, brown fox", "\"brown fox\"")).isEqualTo("fox brown, <mark>brown</mark> "
                + "<mark>fox</mark>");
        assertThat(snippet("Translation and translators", "TRANSL*"))
                .isEqualTo("<mark>Translation</mark> and <mark>translators</mark>");
    }

    @Test
    void longMessagesShowAWindowAroundTheFirstMatch() {
        String content = "lorem ".repeat(100) + "needle " + "ipsum ".repeat(100);
        String s = snippet(content, "needle");
        assertThat(s).startsWith("…").endsWith("…").contains("<mark>needle</mark>");
        assertThat(s.replace("<mark>", "").replace("</mark>", "").length()).isLessThanOrEqualTo(Snippets.WINDOW + 2);
    }

    @Test
    void whitespaceIsCollapsedAndEmojiAreNeverSplit() {
        assertThat(snippet("line one\n\n\tline   two", "two")).isEqualTo("line one line <mark>two</mark>");
        String emoji = "😀".repeat(150) + " word";
        assertThat(snippet(emoji, "word")).doesNotContain("\uFFFD").matches("(?s)^(?:[^\\uD800-\\uDFFF]|"
                + "[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])*$");
    }

    @Test
    void aMessageWhoseMatchTheDatabaseFoundDifferentlyIsShownFromItsStart() {
        assertThat(snippet("plain text", "other")).isEqualTo("plain text");
    }
}
