package dev.parley.ops.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.parley.store.ColumnType;
import dev.parley.store.DatabaseUrl;
import dev.parley.store.Table;

/**
 * The SQLite <-> PostgreSQL copy: round trips are lossless, an interrupted copy resumes without duplicates, a
 * non-empty target is refused, and verification notices a difference.
 */
class CopyDataTest {

    private static final CopyData.Listener QUIET = new CopyData.Listener() {
    };

    @TempDir
    Path dir;

    @Test
    void roundTripSqliteToPostgresqlToSqliteKeepsEveryValueExactly() throws Exception {
        try (OpsDatabase original = SampleData.migrated(SampleData.sqliteFile(dir, "original.db"));
                OpsDatabase pg = SampleData.migrated(SampleData.newPostgres());
                OpsDatabase back = SampleData.migrated(SampleData.sqliteFile(dir, "back.db"))) {
            SampleData.populate(original, 40, 5);
            long rows = SampleData.rows(original);

            CopyData.Report up = CopyData.copy(original, pg, new CopyData.Options(false, 7), QUIET);
            assertThat(up.rowsCopied()).isEqualTo(rows);
            assertThat(up.verified()).as("%s", up.checks()).isTrue();

            CopyData.Report down = CopyData.copy(pg, back, new CopyData.Options(false, 1000), QUIET);
            assertThat(down.verified()).as("%s", down.checks()).isTrue();

            List<CopyData.TableCheck> end = CopyData.verify(original, back);
            assertThat(end).allSatisfy(c -> assertThat(c.ok()).as("%s", c).isTrue());
            for (int i = 0; i < end.size(); i++) {
                assertThat(end.get(i).sourceChecksum()).isEqualTo(up.checks().get(i).targetChecksum());
            }
            assertEdgeCasesSurvived(back);
        }
    }

    /** The values themselves, read back through the other dialect, not only the checksums. */
    private static void assertEdgeCasesSurvived(OpsDatabase db) throws Exception {
        try (Statement st = db.connection().createStatement();
                ResultSet rs = st.executeQuery("SELECT title, model, archived, created_at, updated_at, metadata "
                        + "FROM conversations WHERE model = 'model-é'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isNull();
            assertThat(db.read(rs, 3, ColumnType.BOOLEAN)).isEqualTo(true);
            assertThat(db.read(rs, 4, ColumnType.INSTANT)).isEqualTo(SampleData.EPOCH);
            assertThat(db.read(rs, 5, ColumnType.INSTANT)).isEqualTo(SampleData.FAR_FUTURE);
            assertThat(RowCanon.canonicalJson(rs.getString(6)))
                    .isEqualTo(RowCanon.canonicalJson(SampleData.NESTED_JSON))
                    .contains("\"s\":\"éé \\\"q\\\" 🚀\"");
        }
        try (PreparedStatement ps = db.connection().prepareStatement(
                "SELECT content FROM messages WHERE role = ? ORDER BY id")) {
            ps.setString(1, "user");
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(SampleData.LONG_TEXT);
            }
        }
        try (Statement st = db.connection().createStatement(); ResultSet rs = st.executeQuery(
                "SELECT content, tokens_in, finish_reason FROM messages WHERE finish_reason = 'client_disconnected'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo(SampleData.TRICKY_TEXT);
            assertThat(rs.getLong(2)).isEqualTo(Integer.MAX_VALUE);
        }
        try (Statement st = db.connection().createStatement();
                ResultSet rs = st.executeQuery("SELECT name FROM tenants ORDER BY name")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("Acme 🚀");
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo(SampleData.TRICKY_TEXT);
        }
    }

    @Test
    void interruptedCopyResumesWithoutDuplicatingOrLosingRows() throws Exception {
        try (OpsDatabase source = SampleData.migrated(SampleData.sqliteFile(dir, "source.db"));
                OpsDatabase target = SampleData.migrated(SampleData.newPostgres())) {
            SampleData.populate(source, 150, 20);
            RuntimeException crash = new RuntimeException("power cut");
            CopyData.Listener crashingMidMessages = new CopyData.Listener() {
                int batches;

                @Override
                public void batchCommitted(Table table, int rows) {
                    if (table.name().equals("messages") && ++batches == 5) {
                        throw crash;
                    }
                }
            };
            assertThatThrownBy(() -> CopyData.copy(source, target, new CopyData.Options(false, 250),
                    crashingMidMessages)).isSameAs(crash);
            long partial = target.count(Table.named("messages"));
            assertThat(partial).isEqualTo(5 * 250);

            assertThatThrownBy(() -> CopyData.copy(source, target, new CopyData.Options(false, 250), QUIET))
                    .isInstanceOf(CopyData.Refused.class).hasMessageContaining("--resume");

            CopyData.Report resumed = CopyData.copy(source, target, new CopyData.Options(true, 250), QUIET);
            long after = 0; // the tables copied after messages: none of their rows had been copied
            for (Table t : Table.ALL.subList(Table.ALL.indexOf(Table.named("messages")) + 1, Table.ALL.size())) {
                after += source.count(t);
            }
            assertThat(resumed.rowsCopied()).isEqualTo(source.count(Table.named("messages")) - partial + after);
            assertThat(resumed.verified()).as("%s", resumed.checks()).isTrue();
            assertThat(target.count(Table.named("messages"))).isEqualTo(source.count(Table.named("messages")));

            CopyData.Report again = CopyData.copy(source, target, new CopyData.Options(true, 250), QUIET);
            assertThat(again.rowsCopied()).isZero();
            assertThat(again.verified()).isTrue();
        }
    }

    @Test
    void postgresqlToSqliteResumesToo() throws Exception {
        try (OpsDatabase source = SampleData.migrated(SampleData.newPostgres());
                OpsDatabase target = SampleData.migrated(SampleData.sqliteFile(dir, "edge.db"))) {
            SampleData.populate(source, 30, 10);
            RuntimeException crash = new RuntimeException("killed");
            assertThatThrownBy(() -> CopyData.copy(source, target, new CopyData.Options(false, 20),
                    new CopyData.Listener() {
                        @Override
                        public void batchCommitted(Table table, int rows) {
                            if (table.name().equals("conversations")) {
                                throw crash;
                            }
                        }
                    })).isSameAs(crash);
            CopyData.Report resumed = CopyData.copy(source, target, new CopyData.Options(true, 20), QUIET);
            assertThat(resumed.verified()).as("%s", resumed.checks()).isTrue();
        }
    }

    @Test
    void verificationNamesTheFirstRowThatDiffers() throws Exception {
        try (OpsDatabase source = SampleData.migrated(SampleData.sqliteFile(dir, "a.db"));
                OpsDatabase target = SampleData.migrated(SampleData.newPostgres())) {
            SampleData.populate(source, 5, 2);
            assertThat(CopyData.copy(source, target, new CopyData.Options(false, 100), QUIET).verified()).isTrue();
            UUID changed;
            try (Statement st = target.connection().createStatement();
                    ResultSet rs = st.executeQuery("SELECT id FROM messages ORDER BY id LIMIT 1 OFFSET 3")) {
                rs.next();
                changed = rs.getObject(1, UUID.class);
            }
            try (PreparedStatement ps = target.connection().prepareStatement(
                    "UPDATE messages SET content = content || '!' WHERE id = ?")) {
                ps.setObject(1, changed);
                ps.executeUpdate();
            }
            try (Statement st = target.connection().createStatement()) {
                st.execute("DELETE FROM heartbeats WHERE instance = 'zeta'");
            }
            List<CopyData.TableCheck> checks = CopyData.verify(source, target);
            CopyData.TableCheck messages = checks.stream().filter(c -> c.table().equals("messages")).findFirst()
                    .orElseThrow();
            assertThat(messages.ok()).isFalse();
            assertThat(messages.differingRows()).isEqualTo(1);
            assertThat(messages.firstDifference()).contains(changed.toString());
            CopyData.TableCheck heartbeats = checks.get(4);
            assertThat(heartbeats.ok()).isFalse();
            assertThat(heartbeats.targetRows()).isEqualTo(heartbeats.sourceRows() - 1);
            assertThat(heartbeats.firstDifference()).contains("zeta").contains("missing");
            assertThat(checks.get(0).ok()).isTrue();
        }
    }

    @Test
    void tableModelCoversEveryTableAndColumnOfBothSchemas() throws Exception {
        try (OpsDatabase sqlite = SampleData.migrated(SampleData.sqliteFile(dir, "schema.db"));
                OpsDatabase pg = SampleData.migrated(SampleData.newPostgres())) {
            String expected = Table.ALL.stream().map(t -> t.name() + "(" + t.columnList() + ")").sorted()
                    .reduce((a, b) -> a + " " + b).orElse("");
            assertThat(describe(sqlite)).isEqualTo(expected);
            assertThat(describe(pg)).isEqualTo(expected);
        }
    }

    private static String describe(OpsDatabase db) throws Exception {
        var meta = db.connection().getMetaData();
        java.util.TreeMap<String, String> tables = new java.util.TreeMap<>();
        try (ResultSet rs = meta.getTables(null, db.dialect().url().backend() == DatabaseUrl.Backend.SQLITE ? null : "public", "%", new String[] { "TABLE" })) {
            while (rs.next()) {
                String name = rs.getString("TABLE_NAME");
                // the search index is derived from the messages and built by the target itself (FTS5's tables on
                // SQLite, a generated column on PostgreSQL): not part of what is copied
                if (!name.startsWith("flyway_") && !name.startsWith("sqlite_") && !name.startsWith("messages_fts")) {
                    tables.put(name, "");
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String t : tables.keySet()) {
            java.util.List<String> cols = new java.util.ArrayList<>();
            try (ResultSet rs = meta.getColumns(null, db.dialect().url().backend() == DatabaseUrl.Backend.SQLITE ? null : "public", t, "%")) {
                while (rs.next()) {
                    if (!"YES".equals(rs.getString("IS_GENERATEDCOLUMN"))) {
                        cols.add(rs.getString("COLUMN_NAME"));
                    }
                }
            }
            sb.append(sb.length() == 0 ? "" : " ").append(t).append("(").append(String.join(", ", cols)).append(")");
        }
        return sb.toString();
    }
}
