package dev.parley.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.parley.store.SearchQuery;
import dev.parley.store.SearchQuery.Kind;
import dev.parley.store.SearchQuery.Term;

/**
 * Parley's BM25 against FTS5's own {@code bm25()} on the same index: equal for words (same counts, same formula), and
 * in the same order for phrases and prefixes, whose document counts are estimated.
 */
class SqliteRankTest {

    @TempDir
    Path dir;

    private String url;

    private static final List<String> TEXTS = List.of(
            "The café opens early; the cafe on the corner opens late.",
            "Cafe cafe cafe: a message that says one word again and again, and then some more words after it.",
            "A long message about many other things, trains and boats and planes, and only once a café at the end, after the early trains.",
            "Nothing to see here at all.",
            "Trains leave early. Early trains are empty. The early train to the coast leaves at six.",
            "ÉCOLE école Ecole: the same word three ways, with accents and capitals.",
            "Short: early café.",
            "東京 is one token for the tokenizer, 東京 twice.");

    @BeforeEach
    void index() throws Exception {
        url = FtsTestDatabase.create(dir.resolve("rank.db"));
        try (Connection c = DriverManager.getConnection(url)) {
            for (int i = 0; i < TEXTS.size(); i++) {
                FtsTestDatabase.addMessage(c, "m" + i, TEXTS.get(i));
            }
        }
    }

    @Test
    void aWordRanksExactlyAsFts5Bm25() throws Exception {
        for (String word : List.of("cafe", "early", "ecole", "trains", "東京")) {
            Map<String, Double> fts5 = fts5("\"" + word + "\"");
            Map<String, Double> ours = ours(new SearchQuery(List.of(new Term(Kind.WORD, word, false))));
            assertThat(ours.keySet()).as(word).isEqualTo(fts5.keySet());
            fts5.forEach((text, rank) -> assertThat(ours.get(text)).as(word + " in " + text).isCloseTo(rank,
                    within(1e-9)));
        }
    }

    @Test
    void severalWordsRankExactlyAsFts5Bm25() throws Exception {
        Map<String, Double> fts5 = fts5("\"early\" AND \"cafe\"");
        Map<String, Double> ours = ours(new SearchQuery(List.of(new Term(Kind.WORD, "early", false),
                new Term(Kind.WORD, "Café", false))));
        assertThat(ours.keySet()).isEqualTo(fts5.keySet());
        fts5.forEach((text, rank) -> assertThat(ours.get(text)).isCloseTo(rank, within(1e-9)));
    }

    @Test
    void phrasesAndPrefixesKeepFts5sOrder() throws Exception {
        assertSameOrder("\"early trains\"", new Term(Kind.PHRASE, "early trains", false));
        assertSameOrder("\"trai\"*", new Term(Kind.PREFIX, "trai", false));
        assertSameOrder("\"ca\"*", new Term(Kind.PREFIX, "ca", false));
    }

    @Test
    void varintsReadAsSqliteWritesThem() {
        int[] at = {0};
        byte[] b = {(byte) 0xBD, (byte) 0xF0, 0x20, (byte) 0x95, (byte) 0xA8, (byte) 0xA3, 0x01, 0x05};
        assertThat(SqliteRank.varint(b, at)).isEqualTo((0x3DL << 14) | (0x70 << 7) | 0x20);
        assertThat(SqliteRank.varint(b, at)).isEqualTo((0x15L << 21) | (0x28L << 14) | (0x23 << 7) | 0x01);
        assertThat(SqliteRank.varint(b, at)).isEqualTo(5);
        assertThat(at[0]).isEqualTo(b.length);
    }

    @Test
    void theCollectionIsTheIndexsOwnCount() throws Exception {
        try (Connection c = DriverManager.getConnection(url)) {
            SqliteRank.Collection collection = SqliteRank.collection(c);
            assertThat(collection.rows()).isEqualTo(TEXTS.size());
            assertThat(collection.words()).isBetween(60L, 120L);
        }
    }

    private void assertSameOrder(String match, Term term) throws Exception {
        Map<String, Double> fts5 = fts5(match);
        Map<String, Double> ours = ours(new SearchQuery(List.of(term)));
        assertThat(ours.keySet()).as(match).isEqualTo(fts5.keySet());
        assertThat(fts5).as(match).hasSizeGreaterThan(1);
        List<String> fts5Order = fts5.entrySet().stream().sorted(Map.Entry.<String, Double> comparingByValue()
                .reversed()).map(Map.Entry::getKey).toList();
        List<String> ourOrder = ours.entrySet().stream().sorted(Map.Entry.<String, Double> comparingByValue()
                .reversed()).map(Map.Entry::getKey).toList();
        assertThat(ourOrder).as(match).isEqualTo(fts5Order);
    }

    /** Each matching text with FTS5's rank (-bm25, higher is better). */
    private Map<String, Double> fts5(String match) throws Exception {
        Map<String, Double> ranks = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement ps = c.prepareStatement("SELECT m.content, -bm25(messages_fts) FROM messages_fts "
                        + "JOIN messages m ON m.rowid = messages_fts.rowid & " + ((1L << 36) - 1)
                        + " WHERE messages_fts MATCH ?")) {
            ps.setString(1, match);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ranks.put(rs.getString(1), rs.getDouble(2));
                }
            }
        }
        return ranks;
    }

    /** Each text FTS5 matches with Parley's rank. */
    private Map<String, Double> ours(SearchQuery query) throws Exception {
        Map<String, Double> ranks = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(url)) {
            SqliteRank rank = new SqliteRank();
            SqliteRank.Collection collection = SqliteRank.collection(c);
            List<SqliteRank.Needle> needles = rank.needles(c, query, collection);
            try (PreparedStatement ps = c.prepareStatement("SELECT m.content FROM messages_fts JOIN messages m "
                    + "ON m.rowid = messages_fts.rowid & " + ((1L << 36) - 1) + " WHERE messages_fts MATCH ?")) {
                ps.setString(1, SqliteSearchStore.matchExpression(query));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ranks.put(rs.getString(1), SqliteRank.score(rs.getString(1), needles, collection));
                    }
                }
            }
        }
        return ranks;
    }
}
