package dev.parley.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Properties of the web page's files that hold by construction, checked on the sources. */
class PageAssetsTest {

    static final Path ROOT = Path.of("src/main/resources/META-INF/resources");
    static final List<String> SCRIPTS = List.of("app.js", "render.js");

    @Test
    void theScriptsNeverTurnStringsIntoMarkupOrCode() throws IOException {
        for (String script : SCRIPTS) {
            String source = Files.readString(ROOT.resolve(script));
            assertThat(source).as(script).doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML",
                    "document.write", "eval(", "new Function", "DOMParser", "createContextualFragment",
                    "setAttribute('on", "srcdoc");
        }
    }

    @Test
    void thePageAllowsOnlyItsOwnScriptsAndNoInlineOnes() throws IOException {
        String html = Files.readString(ROOT.resolve("index.html"));
        assertThat(html).contains("script-src 'self'").doesNotContain("'unsafe-inline'", "'unsafe-eval'");
        assertThat(html.replaceAll("<script type=\"module\" src=\"app.js\"></script>", ""))
                .as("no other script element").doesNotContain("<script");
        assertThat(html).doesNotContainPattern(" on[a-z]+=");
    }
}
