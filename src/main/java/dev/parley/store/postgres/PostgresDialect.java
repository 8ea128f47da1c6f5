package dev.parley.store.postgres;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import dev.parley.store.BackendUnavailable;
import dev.parley.store.ColumnType;
import dev.parley.store.DatabaseUrl;
import dev.parley.store.Dialect;
import dev.parley.store.RootCause;
import dev.parley.store.Table;

/**
 * PostgreSQL outside the server's reactive pool: JDBC for the operations tools, {@code COPY} for bulk loads,
 * {@code pg_dump} for backups. Several Parley replicas share one database by design, so nothing here locks it.
 */
public final class PostgresDialect implements Dialect {

    static {
        try {
            Class.forName("org.postgresql.Driver"); // registered with DriverManager from this class loader
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the PostgreSQL JDBC driver is missing from the build", e);
        }
    }

    private final DatabaseUrl url;

    public PostgresDialect(DatabaseUrl url) {
        this.url = url;
    }

    /**
     * The Quarkus properties that switch the reactive pool (Hibernate Reactive) and the JDBC datasource for Flyway on
     * (or off) for {@code url}.
     */
    public static Map<String, String> datasourceProperties(Optional<DatabaseUrl> active) {
        Map<String, String> props = new HashMap<>();
        boolean on = active.isPresent();
        props.put("quarkus.datasource.active", String.valueOf(on));
        props.put("quarkus.datasource.pgjdbc.active", String.valueOf(on));
        props.put("quarkus.hibernate-orm.active", String.valueOf(on));
        active.ifPresent(url -> {
            props.put("quarkus.datasource.reactive.url", reactiveUrl(url));
            props.put("quarkus.datasource.pgjdbc.jdbc.url", jdbcUrl(url));
            for (String ds : List.of("quarkus.datasource.", "quarkus.datasource.pgjdbc.")) {
                if (url.username() != null) {
                    props.put(ds + "username", url.username());
                }
                if (url.password() != null) {
                    props.put(ds + "password", url.password());
                }
            }
        });
        return props;
    }

    private static String jdbcUrl(DatabaseUrl url) {
        return "jdbc:" + reactiveUrl(url);
    }

    @Override
    public String jdbcUrl() {
        return jdbcUrl(url);
    }

    private static String reactiveUrl(DatabaseUrl url) {
        String host = url.host().contains(":") && !url.host().startsWith("[") ? "[" + url.host() + "]" : url.host();
        return "postgresql://" + host + ":" + url.port() + "/" + url.database()
                + (url.query() == null ? "" : "?" + url.query());
    }

    @Override
    public DatabaseUrl url() {
        return url;
    }

    @Override
    public String migrationLocation() {
        return "classpath:db/migration/postgresql";
    }

    @Override
    public boolean exists() {
        return true;
    }

    @Override
    public Connection connect(boolean create) {
        Properties p = new Properties();
        if (url.username() != null) {
            p.setProperty("user", url.username());
        }
        if (url.password() != null) {
            p.setProperty("password", url.password());
        }
        try {
            return DriverManager.getConnection(jdbcUrl(url), p);
        } catch (SQLException e) {
            throw new BackendUnavailable("Cannot open " + describe() + ": " + RootCause.message(e));
        }
    }

    @Override
    public AutoCloseable holdExclusively() {
        return () -> {
        };
    }

    @Override
    public Object read(ResultSet rs, int index, ColumnType type) throws SQLException {
        return switch (type) {
            case ID -> rs.getObject(index, UUID.class);
            case TEXT, JSON -> rs.getString(index);
            case INSTANT -> {
                OffsetDateTime t = rs.getObject(index, OffsetDateTime.class);
                yield t == null ? null : t.toInstant();
            }
            case BOOLEAN -> {
                boolean v = rs.getBoolean(index);
                yield rs.wasNull() ? null : v;
            }
            case INTEGER -> {
                long v = rs.getLong(index);
                yield rs.wasNull() ? null : v;
            }
        };
    }

    @Override
    public void bind(PreparedStatement ps, int index, ColumnType type, Object value) throws SQLException {
        if (value == null) {
            ps.setNull(index, switch (type) {
                case ID, JSON -> Types.OTHER;
                case TEXT -> Types.VARCHAR;
                case INSTANT -> Types.TIMESTAMP_WITH_TIMEZONE;
                case BOOLEAN -> Types.BOOLEAN;
                case INTEGER -> Types.BIGINT;
            });
            return;
        }
        switch (type) {
            case ID, JSON -> ps.setObject(index, value, Types.OTHER);
            case TEXT -> ps.setString(index, (String) value);
            case INSTANT -> ps.setObject(index, ((Instant) value).atOffset(ZoneOffset.UTC));
            case BOOLEAN -> ps.setBoolean(index, (Boolean) value);
            case INTEGER -> ps.setLong(index, (Long) value);
        }
    }

    @Override
    public void readSnapshot(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        }
    }

    /** Text keys in byte order (the C collation), as SQLite sorts them; uuid order is already byte order. */
    @Override
    public String orderByKey(Table table) {
        return table.keyType() == ColumnType.TEXT ? table.key() + " COLLATE \"C\"" : table.key();
    }

    /** Streams the rows with {@code COPY ... FROM STDIN} in text format. */
    @Override
    public void insertRows(Connection c, Table table, List<Object[]> rows) throws SQLException {
        StringBuilder sb = new StringBuilder(rows.size() * 256);
        for (Object[] given : rows) {
            Object[] row = table.checked(given);
            for (int i = 0; i < row.length; i++) {
                if (i > 0) {
                    sb.append('\t');
                }
                copyText(sb, table.columns().get(i).type(), row[i]);
            }
            sb.append('\n');
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        CopyIn in = c.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY " + table.name() + " (" + table.columnList() + ") FROM STDIN");
        try {
            in.writeToCopy(bytes, 0, bytes.length);
            in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    /** A value in PostgreSQL's COPY text format. */
    private static void copyText(StringBuilder sb, ColumnType type, Object v) {
        if (v == null) {
            sb.append("\\N");
            return;
        }
        switch (type) {
            case ID, INTEGER -> sb.append(v);
            case BOOLEAN -> sb.append((Boolean) v ? 't' : 'f');
            case INSTANT -> {
                Instant at = (Instant) v;
                LocalDateTime t = LocalDateTime.ofEpochSecond(at.getEpochSecond(), at.getNano(), ZoneOffset.UTC);
                digits(sb, t.getYear(), 4).append('-');
                digits(sb, t.getMonthValue(), 2).append('-');
                digits(sb, t.getDayOfMonth(), 2).append(' ');
                digits(sb, t.getHour(), 2).append(':');
                digits(sb, t.getMinute(), 2).append(':');
                digits(sb, t.getSecond(), 2).append('.');
                digits(sb, t.getNano() / 1000, 6).append("+00");
            }
            case TEXT, JSON -> {
                String s = (String) v;
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    switch (c) {
                        case '\\' -> sb.append("\\\\");
                        case '\n' -> sb.append("\\n");
                        case '\r' -> sb.append("\\r");
                        case '\t' -> sb.append("\\t");
                        default -> sb.append(c);
                    }
                }
            }
        }
    }

    private static StringBuilder digits(StringBuilder sb, int value, int width) {
        String s = Integer.toString(value);
        for (int i = s.length(); i < width; i++) {
            sb.append('0');
        }
        return sb.append(s);
    }

    /** Moves every sequence owned by a copied table past the largest value copied into its column. */
    @Override
    public List<String> afterCopy(Connection c, List<Table> tables) throws SQLException {
        List<String> done = new ArrayList<>();
        String find = "SELECT s.relname, t.relname, a.attname FROM pg_class s "
                + "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
                + "JOIN pg_class t ON t.oid = d.refobjid "
                + "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
                + "WHERE s.relkind = 'S' AND t.relname = ANY (?)";
        List<String[]> owned = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(find)) {
            ps.setArray(1, c.createArrayOf("text", tables.stream().map(Table::name).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    owned.add(new String[] { rs.getString(1), rs.getString(2), rs.getString(3) });
                }
            }
        }
        for (String[] o : owned) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT setval('\"" + o[0] + "\"', COALESCE(MAX(\"" + o[2] + "\"), 0) + 1, false) FROM \""
                            + o[1] + "\"")) {
                rs.next();
                done.add(o[0] + " -> " + rs.getLong(1));
            }
        }
        return done;
    }

    /** {@code pg_dump --format=custom} when it is on PATH; otherwise the command to run. */
    @Override
    public Backup backup(Optional<Path> target, BackupPolicy policy) {
        String file = target.map(Path::toString).orElseGet(() -> "parley-"
                + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(Instant.now())
                + ".dump");
        List<String> cmd = new ArrayList<>(List.of("pg_dump", "--format=custom", "--no-owner", "--file=" + file,
                "--host=" + url.host(), "--port=" + url.port()));
        if (url.username() != null) {
            cmd.add("--username=" + url.username());
        }
        cmd.add(url.database());
        Optional<Path> pgDump = onPath("pg_dump");
        if (pgDump.isEmpty()) {
            throw new NotSupported("pg_dump is not on PATH; install the PostgreSQL client matching the server and run: "
                    + String.join(" ", cmd) + " (password via PGPASSWORD)");
        }
        cmd.set(0, pgDump.get().toString());
        long start = System.nanoTime();
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            if (url.password() != null) {
                pb.environment().put("PGPASSWORD", url.password());
            }
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes()).trim();
            int code = p.waitFor();
            if (code != 0) {
                throw new BackupFailed("pg_dump failed (exit " + code + "): "
                        + output.lines().reduce((a, b) -> b).orElse(""));
            }
            return new Backup(file, Files.size(Path.of(file)), Duration.ofNanos(System.nanoTime() - start),
                    "pg_dump; restore with pg_restore --clean --dbname=...", List.of());
        } catch (IOException e) {
            throw new BackupFailed("pg_dump failed: " + RootCause.message(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupFailed("interrupted while pg_dump ran");
        }
    }

    private static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    @Override
    public Restored restore(Path backupFile) {
        throw new NotSupported("restore only handles SQLite; for PostgreSQL run: pg_restore --clean --if-exists "
                + "--no-owner --dbname=postgresql://USER@" + url.host() + ":" + url.port() + "/" + url.database()
                + " BACKUP.dump");
    }

    /** PostgreSQL migrations run in one transaction; point-in-time recovery and pg_dump are the operator's. */
    @Override
    public Optional<Backup> backupBeforeMigration(BackupPolicy policy) {
        return Optional.empty();
    }
}
