package dev.parley.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.parley.store.SearchQuery;
import dev.parley.store.SearchQuery.Kind;
import dev.parley.store.SearchQuery.Term;

/**
 * A prefix asked for as the words it begins finds exactly what FTS5's own prefix query finds: from the vocabulary as
 * read, with words stored since it was read, and after enough new messages that it is read again.
 */
class SqlitePrefixesTest {

    @TempDir
    Path dir;

    private String url;
    private final UUID tenant = UUID.randomUUID();
    private final UUID other = UUID.randomUUID();
    private int messages;

    /** Words sharing prefixes, in several cases and with accents that fold onto them. */
    private static final List<String> WORDS = List.of("masi", "masika", "Masisi", "mäsiko", "MASIX", "masonry",
            "mast", "trail", "train", "Trainée", "trâinful", "tr", "zebra", "café", "cafe", "caféteria", "ébauche",
            "ebb", "東京", "東京都", "naïve", "nai", "x1y2", "x1", "Øre", "ore");

    @BeforeEach
    void index() throws Exception {
        url = FtsTestDatabase.create(dir.resolve("prefixes.db"));
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            for (UUID t : List.of(tenant, other)) {
                st.execute("INSERT INTO tenants (id, name, created_at) VALUES ('" + t + "', 'T', 0)");
                st.execute("INSERT INTO conversations (id, tenant_id, title, model, archived, created_at, updated_at) "
                        + "VALUES ('c" + t + "', '" + t + "', 'one', 'demo', 0, 0, 0)");
            }
            add(c, new Random(1), 200);
        }
    }

    @Test
    void theWordsFindWhatFts5sPrefixFinds() throws Exception {
        SqlitePrefixes prefixes = new SqlitePrefixes();
        Random r = new Random(2);
        try (Connection c = DriverManager.getConnection(url)) {
            assertSameMatches(c, prefixes); // the vocabulary read now
            add(c, r, 30);
            addTo(c, tenant, "a word never seen before: masipulami, and trainspotting");
            assertSameMatches(c, prefixes); // read before; the new messages' words added
            assertThat(prefixes.words(c, "masi", tenant)).contains("masipulami");
            add(c, r, SqlitePrefixes.MAX_NEW_MESSAGES + 1);
            addTo(c, tenant, "masiquantum");
            assertSameMatches(c, prefixes); // too many new messages: read again
            assertThat(prefixes.vocabulary(c, "masi").words()).contains("masiquantum");
        }
    }

    @Test
    void aWordStoredAfterTheVocabularyWasReadIsFoundAtOnce() throws Exception {
        SqlitePrefixes prefixes = new SqlitePrefixes();
        try (Connection c = DriverManager.getConnection(url)) {
            assertThat(prefixes.words(c, "zeb", tenant)).containsExactly("zebra");
            addTo(c, tenant, "Zébulon came by");
            addTo(c, other, "zebedee is another tenant's");
            assertThat(prefixes.words(c, "zeb", tenant)).containsExactlyInAnyOrder("zebra", "zebulon");
            assertThat(rowids(c, "(\"zebulon\")")).hasSize(1);
        }
    }

    @Test
    void wideNonAsciiOrUnindexedPrefixesAreLeftToFts5() throws Exception {
        SqlitePrefixes prefixes = new SqlitePrefixes();
        try (Connection c = DriverManager.getConnection(url)) {
            StringBuilder many = new StringBuilder();
            for (int i = 0; i <= SqlitePrefixes.MAX_WORDS; i++) {
                many.append(" qq").append(i);
            }
            addTo(c, tenant, many.toString());
            assertThat(prefixes.words(c, "qq", tenant)).isNull();
            assertThat(prefixes.vocabulary(c, "qq").messages()).isEqualTo(SqlitePrefixes.MAX_WORDS + 1);
            assertThat(prefixes.words(c, "é", tenant)).isNull();
            assertThat(prefixes.words(c, "東", tenant)).isNull();
            assertThat(prefixes.words(c, "Ma", tenant)).isNull();
            try (Statement st = c.createStatement()) {
                st.execute("UPDATE messages_fts_backfill SET pending_upto = 1");
            }
            assertThat(new SqlitePrefixes().words(c, "masi", tenant)).isNull();
        }
    }

    private void assertSameMatches(Connection c, SqlitePrefixes prefixes) throws SQLException {
        for (String p : List.of("m", "ma", "mas", "masi", "masik", "tra", "train", "cafe", "caf", "eb", "x1", "nai",
                "ore", "zz", "ta")) {
            SearchQuery query = new SearchQuery(List.of(new Term(Kind.PREFIX, p, false)));
            String expanded = SqliteSearchStore.matchExpression(query, t -> prefixes.words(c, p, tenant));
            assertThat(rowids(c, expanded)).as(p + " as " + expanded)
                    .isEqualTo(rowids(c, SqliteSearchStore.matchExpression(query)));
            SearchQuery excluding = new SearchQuery(List.of(new Term(Kind.WORD, "zebra", false),
                    new Term(Kind.PREFIX, p, true)));
            assertThat(rowids(c, SqliteSearchStore.matchExpression(excluding, t -> prefixes.words(c, p, tenant))))
                    .as("zebra -" + p + "*").isEqualTo(rowids(c, SqliteSearchStore.matchExpression(excluding)));
        }
    }

    /** The tenant's matches of an FTS5 expression. */
    private Set<Long> rowids(Connection c, String match) throws SQLException {
        Set<Long> rowids = new TreeSet<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT messages_fts.rowid FROM messages_fts JOIN messages m "
                + "ON m.rowid = messages_fts.rowid & " + ((1L << SqliteSearchStore.TENANT_SHIFT) - 1)
                + " WHERE messages_fts MATCH ? AND m.tenant_id = ?")) {
            ps.setString(1, match);
            ps.setString(2, tenant.toString());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rowids.add(rs.getLong(1));
                }
            }
        }
        return rowids;
    }

    private void add(Connection c, Random r, int n) throws SQLException {
        for (int i = 0; i < n; i++) {
            StringBuilder text = new StringBuilder();
            for (int w = 1 + r.nextInt(6); w > 0; w--) {
                text.append(WORDS.get(r.nextInt(WORDS.size()))).append(r.nextBoolean() ? " " : ", ");
            }
            addTo(c, r.nextInt(4) == 0 ? other : tenant, text.toString());
        }
    }

    private void addTo(Connection c, UUID t, String content) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO messages (id, tenant_id, conversation_id, role, "
                + "content, created_at) VALUES (?, ?, ?, 'user', ?, 0)")) {
            ps.setString(1, "m" + messages++);
            ps.setString(2, t.toString());
            ps.setString(3, "c" + t);
            ps.setString(4, content);
            ps.executeUpdate();
        }
    }
}
