package dev.parley.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The service's JVM options file ({@code src/main/jvm/parley.options}): the JVM that runs the tests accepts it as an
 * argument file and sets what it says, and the JVM image runs and trains its cache with it.
 */
class JvmOptionsTest {

    static final Path OPTIONS = Path.of("src/main/jvm/parley.options");

    @Test
    void theJvmAcceptsTheFileAndSetsEveryOptionInIt() throws IOException, InterruptedException {
        List<String> options = Files.readAllLines(OPTIONS).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(options).contains("-XX:PerMethodTrapLimit=0");

        Process java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + OPTIONS.toAbsolutePath(), "-XX:+PrintFlagsFinal", "-version").redirectErrorStream(true).start();
        String out = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(java.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(java.exitValue()).as(out).isZero();

        Pattern flag = Pattern.compile("-XX:([A-Za-z0-9]+)=(\\S+)");
        for (String option : options) {
            Matcher m = flag.matcher(option);
            assertThat(m.matches()).as("an -XX:Name=value option: " + option).isTrue();
            assertThat(out).as(option).containsPattern("\\s" + m.group(1) + "\\s+= " + Pattern.quote(m.group(2))
                    + "\\s+\\{[^}]+\\} \\{command line\\}");
        }
    }

    @Test
    void theJvmImageRunsAndTrainsWithTheFile() throws IOException {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        assertThat(dockerfile).contains("COPY src/main/jvm/parley.options /deployments/parley.options");
        assertThat(dockerfile).containsPattern("ENTRYPOINT \\[\"java\",[^\\]]*\"@/deployments/parley.options\"");
        assertThat(dockerfile).containsPattern("JAVA_OPTS=\"[^\"]*@/deployments/parley.options");
        assertThat(Files.readAllLines(Path.of(".dockerignore"))).contains("!src/main/jvm/parley.options");
    }
}
