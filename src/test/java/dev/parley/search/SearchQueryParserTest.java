package dev.parley.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.parley.store.SearchQuery.Kind;
import dev.parley.store.SearchQuery.Term;

/** The query syntax: what each piece of input becomes, and what is refused. */
class SearchQueryParserTest {

    static List<Term> terms(String q) {
        return SearchQueryParser.parse(q).terms();
    }

    @Test
    void wordsPhrasesPrefixesAndExclusions() {
        assertThat(terms("  green  \"brown fox\" transl* -pie -\"apple tart\" -tar*")).containsExactly(
                new Term(Kind.WORD, "green", false), new Term(Kind.PHRASE, "brown fox", false),
                new Term(Kind.PREFIX, "transl", false), new Term(Kind.WORD, "pie", true),
                new Term(Kind.PHRASE, "apple tart", true), new Term(Kind.PREFIX, "tar", true));
    }

    @Test
    void aQuoteLeftOpenRunsToTheEnd() {
        assertThat(terms("say \"hello there")).containsExactly(new Term(Kind.WORD, "say", false),
                new Term(Kind.PHRASE, "hello there", false));
    }

    @Test
    void aPrefixKeepsOnlyItsTokensSoItCanBeQuotedSafely() {
        assertThat(terms("a'b:*")).containsExactly(new Term(Kind.PREFIX, "a b", false));
        assertThat(terms("\"translation mem\"*")).containsExactly(new Term(Kind.PREFIX, "translation mem", false));
        assertThat(terms("東京*")).containsExactly(new Term(Kind.PREFIX, "東京", false));
    }

    @Test
    void operatorsOfEitherDatabaseAreJustText() {
        assertThat(terms("NEAR( a&b")).containsExactly(new Term(Kind.WORD, "NEAR(", false),
                new Term(Kind.WORD, "a&b", false));
        assertThat(terms("x :* & | ! -")).containsExactly(new Term(Kind.WORD, "x", false));
    }

    @Test
    void decomposedAccentsAreComposedFirst() {
        assertThat(terms("cafe\u0301")).containsExactly(new Term(Kind.WORD, "café", false));
    }

    @Test
    void unusableQueriesAreRefusedWithAReason() {
        for (String q : new String[] { null, "", "  ", ":* & |", "-only", "-\"only this\"", "a\u0000",
                "x".repeat(501), "a ".repeat(17) }) {
            assertThatThrownBy(() -> SearchQueryParser.parse(q)).as("%s", q)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("q ");
        }
    }
}
