import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpServer;

/**
 * First-load weight and time to interactive of the web page at GET /, in headless Chromium on localhost, against a
 * baseline measured in the same run: a minimal page (a title, a paragraph and one module script that marks itself
 * interactive) served by the JDK's HTTP server. Each run is a fresh browser profile, so every load is a first load
 * (nothing cached). Drives Debian's chromedriver over the plain WebDriver protocol: no dependencies. See
 * bench/README.md.
 *
 * java bench/PageLoad.java [--runs 20] [--jar target/quarkus-app/quarkus-run.jar]
 */
public class PageLoad {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String METRICS = """
            const nav = performance.getEntriesByType('navigation')[0];
            const res = performance.getEntriesByType('resource');
            const mark = name => (performance.getEntriesByName(name)[0] || { startTime: -1 }).startTime;
            return JSON.stringify({
              interactive: mark('parley:interactive'),
              conversations: mark('parley:conversations'),
              domContentLoaded: nav.domContentLoadedEventEnd,
              load: nav.loadEventEnd,
              transferBytes: [nav, ...res].reduce((s, e) => s + e.transferSize, 0),
              bodyBytes: [nav, ...res].reduce((s, e) => s + e.decodedBodySize, 0),
              requests: 1 + res.length });
            """;

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int runs = Integer.parseInt(opt.getOrDefault("runs", "20"));
        String jar = Path.of(opt.getOrDefault("jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath().toString();
        Path dir = Files.createTempDirectory("parley-page-bench");
        String key = "bench-page-key-" + UUID.randomUUID();

        int parleyPort = freePort();
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", jar).redirectErrorStream(true)
                .redirectOutput(dir.resolve("server.log").toFile());
        pb.environment().put("DATABASE_URL", "sqlite:" + dir.resolve("parley.db"));
        pb.environment().put("PORT", String.valueOf(parleyPort));
        pb.environment().put("PARLEY_BOOTSTRAP_API_KEY", key);
        Process server = pb.start();
        HttpServer baseline = baselineServer();
        int driverPort = freePort();
        Process driver = new ProcessBuilder(opt.getOrDefault("chromedriver", "/usr/bin/chromedriver"),
                "--port=" + driverPort).redirectErrorStream(true).redirectOutput(dir.resolve("driver.log").toFile())
                .start();
        try {
            String parley = "http://127.0.0.1:" + parleyPort + "/";
            String base = "http://127.0.0.1:" + baseline.getAddress().getPort() + "/";
            waitFor(parley + "q/health/ready", 60);
            String wd = "http://127.0.0.1:" + driverPort;
            waitFor(wd + "/status", 20);
            for (int i = 0; i < 5; i++) {
                post(parley + "api/conversations", "{\"title\":\"Conversation " + i + "\"}", key);
            }

            Map<String, List<Double>> base1 = new LinkedHashMap<>();
            Map<String, List<Double>> first = new LinkedHashMap<>();
            Map<String, List<Double>> signedIn = new LinkedHashMap<>();
            for (int run = 0; run < runs + 2; run++) { // the first two warm up the server's JIT and are not counted
                Path profile = Files.createTempDirectory(dir, "profile");
                String session = newSession(wd, opt.getOrDefault("chromium", "/usr/bin/chromium"), profile);
                try {
                    // alternate the order, so that neither page always gets the browser's first navigation
                    Map<String, Double> b;
                    Map<String, Double> p;
                    if (run % 2 == 0) {
                        b = measure(wd, session, base, "parley:interactive");
                        p = measure(wd, session, parley, "parley:interactive");
                    } else {
                        p = measure(wd, session, parley, "parley:interactive");
                        b = measure(wd, session, base, "parley:interactive");
                    }
                    // a signed-in reload: the key is in this tab's sessionStorage (parley's origin), files are cached
                    post(wd + "/session/" + session + "/url", "{\"url\":\"" + parley + "\"}", null);
                    script(wd, session, "sessionStorage.setItem('parley.apiKey', arguments[0]); return '';", key);
                    Map<String, Double> s = measure(wd, session, parley, "parley:conversations");
                    if (run >= 2) {
                        add(base1, b);
                        add(first, p);
                        add(signedIn, s);
                    }
                } finally {
                    delete(wd + "/session/" + session);
                }
            }
            double baseP50 = p(base1.get("interactive"), 50);
            double firstP50 = p(first.get("interactive"), 50);
            StringBuilder out = new StringBuilder("{\n");
            out.append("  \"runs\": ").append(runs).append(",\n");
            out.append("  \"baseline\": ").append(summary(base1, "interactive")).append(",\n");
            out.append("  \"firstLoad\": ").append(summary(first, "interactive")).append(",\n");
            out.append("  \"signedInLoad\": ").append(summary(signedIn, "conversations")).append(",\n");
            out.append("  \"ratios\": {\"interactiveP50VsBaseline\": ").append(round(firstP50 / baseP50))
                    .append(", \"interactiveP50OverheadMs\": ").append(round(firstP50 - baseP50)).append("}\n}");
            System.out.println(out);
        } finally {
            driver.destroy();
            server.destroy();
            baseline.stop(0);
            server.waitFor();
        }
    }

    /** The floor: the least a page with one module script costs in this browser on this machine. */
    static HttpServer baselineServer() throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", exchange -> {
            boolean js = exchange.getRequestURI().getPath().endsWith(".js");
            byte[] body = (js ? "performance.mark('parley:interactive');\n"
                    : "<!doctype html><html lang=en><meta charset=utf-8><title>baseline</title><link rel=icon "
                            + "href=\"data:,\"><p>baseline</p><script type=module src=\"b.js\"></script>\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", js ? "text/javascript" : "text/html;charset=UTF-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(body);
            }
        });
        s.start();
        return s;
    }

    static Map<String, Double> measure(String wd, String session, String url, String mark) throws Exception {
        post(wd + "/session/" + session + "/url", "{\"url\":\"" + url + "\"}", null);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            Map<String, Double> m = numbers(script(wd, session, METRICS));
            String name = mark.substring("parley:".length());
            if (m.get(name) >= 0 && m.get("load") > 0) {
                return m;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no " + mark + " mark on " + url + ": " + m);
            }
            Thread.sleep(20); // polling the browser for a mark it sets by itself
        }
    }

    static String newSession(String wd, String chromium, Path profile) throws Exception {
        String args = String.join("\",\"", "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900", "--user-data-dir=" + profile);
        String body = "{\"capabilities\":{\"alwaysMatch\":{\"browserName\":\"chrome\",\"goog:chromeOptions\":"
                + "{\"binary\":\"" + chromium + "\",\"args\":[\"" + args + "\"]}}}}";
        String answer = post(wd + "/session", body, null);
        Matcher m = Pattern.compile("\"sessionId\"\\s*:\\s*\"([^\"]+)\"").matcher(answer);
        if (!m.find()) {
            throw new IllegalStateException("no session: " + answer);
        }
        return m.group(1);
    }

    /** Runs a script that returns a string, and returns that string. */
    static String script(String wd, String session, String js, String... args) throws Exception {
        StringBuilder a = new StringBuilder();
        for (String arg : args) {
            a.append(a.length() == 0 ? "" : ",").append(quote(arg));
        }
        String answer = post(wd + "/session/" + session + "/execute/sync",
                "{\"script\":" + quote(js) + ",\"args\":[" + a + "]}", null);
        Matcher m = Pattern.compile("\"value\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(answer);
        if (!m.find()) {
            throw new IllegalStateException("script failed: " + answer);
        }
        return m.group(1).replace("\\\"", "\"").replace("\\\\", "\\");
    }

    static Map<String, Double> numbers(String json) {
        Map<String, Double> values = new HashMap<>();
        Matcher m = Pattern.compile("\"(\\w+)\"\\s*:\\s*(-?[0-9.eE+-]+)").matcher(json);
        while (m.find()) {
            values.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return values;
    }

    static void add(Map<String, List<Double>> into, Map<String, Double> sample) {
        sample.forEach((k, v) -> into.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    }

    static String summary(Map<String, List<Double>> samples, String mark) {
        List<Double> t = samples.get(mark);
        return "{\"" + mark + "Ms\": {\"p50\": " + round(p(t, 50)) + ", \"p90\": " + round(p(t, 90)) + ", \"max\": "
                + round(p(t, 100)) + "}, \"domContentLoadedMsP50\": " + round(p(samples.get("domContentLoaded"), 50))
                + ", \"loadMsP50\": " + round(p(samples.get("load"), 50)) + ", \"transferBytes\": "
                + Math.round(p(samples.get("transferBytes"), 50)) + ", \"bodyBytes\": "
                + Math.round(p(samples.get("bodyBytes"), 50)) + ", \"requests\": "
                + Math.round(p(samples.get("requests"), 50)) + "}";
    }

    static double p(List<Double> values, int percentile) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void waitFor(String url, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (true) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(url + " did not answer 200 within " + seconds + " s");
            }
            Thread.sleep(100);
        }
    }

    static String post(String url, String body, String key) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            r.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static void delete(String url) throws Exception {
        HTTP.send(HttpRequest.newBuilder(URI.create(url)).DELETE().build(), HttpResponse.BodyHandlers.discarding());
    }
}
