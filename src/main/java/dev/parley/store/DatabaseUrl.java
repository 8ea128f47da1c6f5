package dev.parley.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The one place that parses {@code DATABASE_URL}: which backend, and where its database is. The composition root
 * ({@code ops.ActiveBackend}) picks the adapter from {@link #backend()}; nothing else branches on it.
 */
public record DatabaseUrl(Backend backend, Path sqlitePath, String host, int port, String database, String username,
        String password, String query) {

    public enum Backend {
        SQLITE, POSTGRESQL;

        public String id() {
            return name().toLowerCase();
        }
    }

    public static final Path DEFAULT_SQLITE_PATH = Path.of("data", "parley.db");

    /** Thrown with a message fit to be printed as the single line explaining why Parley cannot start. */
    public static final class Invalid extends IllegalArgumentException {
        Invalid(String message) {
            super(message);
        }
    }

    /**
     * The database this process uses: {@code parley.database-url} (also {@code PARLEY_DATABASE_URL}, so that test
     * profiles can point at their own database even when the shell running them exports {@code DATABASE_URL}), else
     * {@code DATABASE_URL}, else the default SQLite file.
     */
    public static DatabaseUrl fromConfig(java.util.function.Function<String, String> lookup) {
        String raw = lookup.apply("parley.database-url");
        return parse(raw != null ? raw : lookup.apply("DATABASE_URL"));
    }

    public static DatabaseUrl parse(String raw) {
        if (raw == null || raw.isBlank()) {
            return sqlite(DEFAULT_SQLITE_PATH);
        }
        String url = raw.trim();
        int colon = url.indexOf(':');
        String scheme = colon < 0 ? "" : url.substring(0, colon).toLowerCase();
        return switch (scheme) {
            case "sqlite" -> parseSqlite(url.substring(colon + 1));
            case "postgresql", "postgres" -> parsePostgres(url);
            default -> throw new Invalid("DATABASE_URL must start with sqlite: or postgresql:// (got '"
                    + redact(url) + "')");
        };
    }

    private static DatabaseUrl parseSqlite(String rest) {
        String path = rest;
        if (path.startsWith("//")) {
            // sqlite:///abs/path -> /abs/path ; sqlite://relative/path -> relative/path
            path = path.substring(2);
        }
        int q = path.indexOf('?');
        if (q >= 0) {
            throw new Invalid("DATABASE_URL for SQLite takes no query parameters; use PARLEY_SQLITE_* variables (got '"
                    + rest + "')");
        }
        if (path.isBlank()) {
            throw new Invalid("DATABASE_URL 'sqlite:' needs a file path, e.g. sqlite:./data/parley.db");
        }
        if (path.equals(":memory:") || path.startsWith("file:")) {
            throw new Invalid("DATABASE_URL must name a SQLite file on disk; in-memory databases lose data (got '"
                    + rest + "')");
        }
        Path p = Path.of(path);
        if (p.getFileName() == null || path.endsWith("/")) {
            throw new Invalid("DATABASE_URL 'sqlite:" + rest + "' names a directory; name the database file");
        }
        return sqlite(p);
    }

    private static DatabaseUrl parsePostgres(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new Invalid("DATABASE_URL is not a valid PostgreSQL URL (" + e.getReason() + "): '" + redact(url) + "'");
        }
        String host = uri.getHost();
        if (host == null || host.isBlank()) {
            throw new Invalid("DATABASE_URL has no host: '" + redact(url)
                    + "' (expected postgresql://user:password@host:5432/database)");
        }
        int port = uri.getPort() < 0 ? 5432 : uri.getPort();
        String path = uri.getRawPath();
        String database = path == null ? "" : decode(path.replaceFirst("^/", ""));
        if (database.isBlank() || database.contains("/")) {
            throw new Invalid("DATABASE_URL has no database name: '" + redact(url)
                    + "' (expected postgresql://user:password@host:5432/database)");
        }
        String user = null;
        String password = null;
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            int c = userInfo.indexOf(':');
            user = decode(c < 0 ? userInfo : userInfo.substring(0, c));
            password = c < 0 ? null : decode(userInfo.substring(c + 1));
        }
        return new DatabaseUrl(Backend.POSTGRESQL, null, host, port, database, user, password, uri.getRawQuery());
    }

    static DatabaseUrl sqlite(Path path) {
        return new DatabaseUrl(Backend.SQLITE, path.toAbsolutePath().normalize(), null, 0, null, null, null, null);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The URL with any password replaced, safe for logs and error messages. */
    public static String redact(String url) {
        return url.replaceAll("(://[^:/@]+:)[^@]*@", "$1***@");
    }

    private String hostPort() {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return h + ":" + port;
    }

    /** Human description for logs: never contains the password. */
    public String describe() {
        return backend == Backend.SQLITE ? "SQLite file " + sqlitePath
                : "PostgreSQL " + (username == null ? "" : username + "@") + hostPort() + "/" + database;
    }
}
