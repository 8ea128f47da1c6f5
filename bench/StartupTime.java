import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Start-up of the packaged artifact: process spawn to the first 200 from /q/health/ready, over N starts per
 * configuration, with the resident memory at that moment. Configurations are started in turn (round-robin), so a
 * change in the machine's load during the run falls on all of them alike; every figure is also given as a ratio to
 * the first configuration (the baseline) from the same run. See bench/README.md.
 *
 * <pre>
 * java bench/StartupTime.java [--jar target/quarkus-app/quarkus-run.jar] [--starts 10]
 *      [--java /path/to/java] [--java-opts "..."]            # measure this one configuration against plain JDK 17
 *      [--config "label|/path/to/java|options[|jar]"]...     # or name every configuration, the first is the baseline
 *      [--database fresh|existing|both|none] [--postgres postgresql://user:pw@host:5432/db]
 * </pre>
 *
 * Without --java or --config it compares what is installed: plain JDK 17, plain Temurin 25, Temurin 25 with the AOT
 * cache next to the jar (app.aot, see the README's "Fast start-up"), and JDK 17 with an AppCDS archive next to the jar
 * (app-cds.jsa) when one exists. "fresh" starts each process on a new SQLite file (so migrations run); "existing"
 * starts it on a file that a first, unmeasured start has migrated.
 */
public class StartupTime {

    static final String JDK17 = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java";
    static final String JDK25 = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java";
    static final Pattern STARTED = Pattern.compile("started in ([0-9.]+)s");

    record Config(String label, String java, List<String> options, Path jar) {
        Config(String label, String java, List<String> options) {
            this(label, java, options, null);
        }
    }

    record Start(long readyMillis, long rssKb, long cpuMillis, double quarkusSeconds) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, List<String>> opt = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.computeIfAbsent(args[i].replaceFirst("^--", ""), k -> new ArrayList<>()).add(args[i + 1]);
        }
        Path jar = Path.of(one(opt, "jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalArgumentException(jar + " does not exist: ./mvnw package -DskipTests first");
        }
        int starts = Integer.parseInt(one(opt, "starts", "10"));
        String database = one(opt, "database", "fresh");
        List<Config> configs = configs(opt, jar);

        List<String> targets = new ArrayList<>();
        if (database.equals("fresh") || database.equals("both")) {
            targets.add("sqlite-fresh");
        }
        if (database.equals("existing") || database.equals("both")) {
            targets.add("sqlite-existing");
        }
        if (opt.containsKey("postgres")) {
            targets.add(one(opt, "postgres", null));
        }

        System.out.printf("jar %s, %d starts per configuration, %d cores, load average at start %s%n", jar, starts,
                Runtime.getRuntime().availableProcessors(), loadAverage());
        for (Config c : configs) {
            System.out.printf("  %-14s %s %s -jar %s%n", c.label, c.java, String.join(" ", c.options),
                    c.jar != null ? c.jar : jar);
        }
        for (String target : targets) {
            Path existing = null;
            if (target.equals("sqlite-existing")) {
                existing = Files.createTempDirectory("parley-startup-existing").resolve("parley.db");
                start(configs.get(0), jar, existing.toString(), "warm-up"); // migrates the file once, not measured
            } else if (!target.startsWith("sqlite")) {
                start(configs.get(0), jar, target, "warm-up"); // applies pending migrations once, not measured
            }
            Map<Config, List<Start>> results = new LinkedHashMap<>();
            Map<Config, Integer> failures = new LinkedHashMap<>();
            configs.forEach(c -> results.put(c, new ArrayList<>()));
            for (int round = 1; round <= starts; round++) {
                for (Config c : configs) {
                    String db = target.equals("sqlite-fresh") ? null
                            : target.equals("sqlite-existing") ? existing.toString() : target;
                    try {
                        results.get(c).add(start(c, jar, db, c.label + " #" + round));
                    } catch (IllegalStateException e) {
                        // counted and reported; on a starved machine a start can miss Parley's own timeouts
                        System.out.println("  " + e.getMessage().lines().findFirst().orElse("") + ": "
                                + e.getMessage().lines().filter(l -> l.contains("ERROR")).findFirst().orElse(""));
                        failures.merge(c, 1, Integer::sum);
                    }
                }
            }
            report(target, results, failures);
        }
        System.out.printf("load average at end %s%n", loadAverage());
    }

    static List<Config> configs(Map<String, List<String>> opt, Path jar) {
        List<Config> configs = new ArrayList<>();
        String plain17 = Files.isExecutable(Path.of(JDK17)) ? JDK17 : "java";
        if (opt.containsKey("config")) {
            for (String spec : opt.get("config")) {
                String[] parts = spec.split("\\|", 4);
                configs.add(new Config(parts[0], parts[1], options(parts.length > 2 ? parts[2] : ""),
                        parts.length > 3 ? Path.of(parts[3]).toAbsolutePath() : null));
            }
            return configs;
        }
        configs.add(new Config("jdk17", plain17, List.of()));
        if (opt.containsKey("java") || opt.containsKey("java-opts")) {
            configs.add(new Config("given", one(opt, "java", plain17), options(one(opt, "java-opts", ""))));
            return configs;
        }
        Path dir = jar.getParent();
        if (Files.exists(dir.resolve("app-cds.jsa"))) {
            configs.add(new Config("jdk17+appcds", plain17,
                    List.of("-XX:SharedArchiveFile=" + dir.resolve("app-cds.jsa"))));
        }
        if (Files.isExecutable(Path.of(JDK25))) {
            configs.add(new Config("jdk25", JDK25, List.of()));
            if (Files.exists(dir.resolve("app.aot"))) {
                configs.add(new Config("jdk25+aot", JDK25, List.of("-XX:AOTCache=" + dir.resolve("app.aot"))));
            }
        }
        return configs;
    }

    /** Split on spaces; a file named after "=" is made absolute, since each process runs in its own directory. */
    static List<String> options(String s) {
        List<String> options = new ArrayList<>();
        for (String o : s.isBlank() ? new String[0] : s.trim().split("\\s+")) {
            int eq = o.indexOf('=');
            if (eq > 0 && Files.exists(Path.of(o.substring(eq + 1)))) {
                o = o.substring(0, eq + 1) + Path.of(o.substring(eq + 1)).toAbsolutePath();
            }
            options.add(o);
        }
        return options;
    }

    static String one(Map<String, List<String>> opt, String key, String fallback) {
        List<String> v = opt.get(key);
        return v == null ? fallback : v.get(v.size() - 1);
    }

    /** One start: spawn, poll readiness every 5 ms, read the RSS, stop with SIGTERM and wait for the exit. */
    static Start start(Config c, Path jar, String database, String name) throws Exception {
        Path dir = Files.createTempDirectory("parley-startup");
        int port = freePort();
        List<String> command = new ArrayList<>();
        command.add(c.java);
        command.addAll(c.options);
        command.addAll(List.of("-jar", (c.jar != null ? c.jar : jar).toString()));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("parley.log").toFile());
        pb.environment().put("PORT", String.valueOf(port));
        // the default database is ./data/parley.db under the working directory: a new file each start
        if (database != null) {
            pb.environment().put("DATABASE_URL", database.contains("://") ? database : "sqlite:" + database);
        } else {
            pb.environment().remove("DATABASE_URL");
        }
        pb.environment().put("PARLEY_SHUTDOWN_DRAIN_DELAY", "0s");
        long t0 = System.nanoTime();
        Process p = pb.start();
        long readyNanos;
        long rss;
        long cpu;
        try {
            while (true) {
                if (!p.isAlive()) {
                    throw new IllegalStateException(name + " exited with " + p.exitValue() + ":\n"
                            + Files.readString(dir.resolve("parley.log")));
                }
                if (status(port) == 200) {
                    readyNanos = System.nanoTime() - t0;
                    rss = rssKb(p.pid());
                    cpu = cpuMillis(p.pid());
                    break;
                }
                if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(120)) {
                    throw new IllegalStateException(name + " not ready within 120 s");
                }
                Thread.sleep(5);
            }
        } finally {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
        String log = Files.readString(dir.resolve("parley.log"));
        Matcher m = STARTED.matcher(log);
        double quarkus = m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
        if (log.contains("[warning][aot]") || log.contains("[error][aot]") || log.contains("[warning][cds]")) {
            log.lines().filter(l -> l.contains("][aot]") || l.contains("][cds]")).limit(3)
                    .forEach(l -> System.out.println("    " + name + ": " + l));
        }
        deleteTree(dir);
        Start s = new Start(readyNanos / 1_000_000, rss, cpu, quarkus);
        System.out.printf(Locale.ROOT, "  %-18s ready %5d ms  cpu %5d ms  rss %4d MB  (Quarkus: started in %.3f s)"
                + "  load %s%n", name, s.readyMillis, s.cpuMillis, s.rssKb / 1024, s.quarkusSeconds, loadAverage());
        return s;
    }

    /** The status code of GET /q/health/ready, or -1 while nothing listens: a plain socket, cheap to poll. */
    static int status(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /q/health/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] head = new byte[12];
            int n = 0;
            while (n < head.length) {
                int r = in.read(head, n, head.length - n);
                if (r < 0) {
                    return -1;
                }
                n += r;
            }
            return Integer.parseInt(new String(head, 9, 3, StandardCharsets.US_ASCII));
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    static void report(String target, Map<Config, List<Start>> results, Map<Config, Integer> failures) {
        String where = target.startsWith("postgresql") ? "PostgreSQL (existing database)" : target;
        System.out.printf("%n%s: spawn to first 200 from /q/health/ready; ratios against %s, same run%n", where,
                results.keySet().iterator().next().label);
        System.out.println("| configuration | min ms | median ms | max ms | median vs baseline | CPU ms at ready "
                + "(median) | RSS at ready (median) | Quarkus \"started in\" (median) | failed starts |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        double base = -1;
        for (var e : results.entrySet()) {
            if (e.getValue().isEmpty()) {
                System.out.printf("| %s | - | - | - | - | - | - | - | %d |%n", e.getKey().label,
                        failures.getOrDefault(e.getKey(), 0));
                continue;
            }
            long[] ms = e.getValue().stream().mapToLong(Start::readyMillis).sorted().toArray();
            long[] rss = e.getValue().stream().mapToLong(Start::rssKb).sorted().toArray();
            double[] q = e.getValue().stream().mapToDouble(Start::quarkusSeconds).sorted().toArray();
            long[] cpu = e.getValue().stream().mapToLong(Start::cpuMillis).sorted().toArray();
            double median = median(ms);
            if (base < 0) {
                base = median;
            }
            System.out.printf(Locale.ROOT, "| %s | %d | %.0f | %d | %.2f | %.0f | %.0f MB | %.3f s | %d |%n",
                    e.getKey().label, ms[0], median, ms[ms.length - 1], median / base, median(cpu),
                    median(rss) / 1024, q[q.length / 2], failures.getOrDefault(e.getKey(), 0));
        }
    }

    static double median(long[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }

    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            // process gone
        }
        return -1;
    }

    /** User plus system CPU time of the process so far (/proc/<pid>/stat, in clock ticks of 10 ms). */
    static long cpuMillis(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
