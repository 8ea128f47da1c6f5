package dev.parley.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.UnexpectedAlertBehaviour;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A headless Chromium for one test, driven by Selenium through Debian's {@code chromium} and {@code chromium-driver}
 * (Selenium's own browser download cannot work on a closed network), with a fresh profile. Screenshots go to the
 * directory given, numbered in the order they were taken.
 */
public final class Browser implements AutoCloseable {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final String INSTALL = "apt-get update && apt-get install -y chromium chromium-driver";

    public final ChromeDriver driver;
    private final ChromeDriverService service;
    private final Path profile;
    private final Path screenshots;
    private int taken;

    private Browser(ChromeDriver driver, ChromeDriverService service, Path profile, Path screenshots) {
        this.driver = driver;
        this.service = service;
        this.profile = profile;
        this.screenshots = screenshots;
    }

    /** Starts Chromium; fails (never skips) when it is not installed. */
    public static Browser start(Path screenshots) {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            throw new AssertionError("Chromium is not installed (" + CHROMIUM + ", " + CHROMEDRIVER + "); run: "
                    + INSTALL);
        }
        Path profile;
        try {
            Files.createDirectories(screenshots);
            try (Stream<Path> old = Files.list(screenshots)) { // a test's pictures are those of its last run only
                for (Path png : old.filter(f -> f.toString().endsWith(".png")).toList()) {
                    Files.delete(png);
                }
            }
            profile = Files.createTempDirectory("parley-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toString());
        // without the background-networking flags Chromium keeps trying to reach Google and starts slowly here
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--window-size=1280,900");
        // an alert would be the sign of a script that ran; leave it open so that the test can see it
        options.setUnhandledPromptBehaviour(UnexpectedAlertBehaviour.IGNORE);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().withLogOutput(OutputStream.nullOutputStream()).build();
        ChromeDriver driver = new ChromeDriver(service, options);
        return new Browser(driver, service, profile, screenshots);
    }

    /** Waits for a condition, polling often: a streaming reply changes every few hundred milliseconds. */
    public WebDriverWait waitUpTo(Duration timeout) {
        WebDriverWait wait = new WebDriverWait(driver, timeout, Duration.ofMillis(20));
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    public Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    /** Writes a PNG of the page as it is now, as {@code NN-name.png}. */
    public void screenshot(String name) {
        try {
            Files.write(screenshots.resolve(String.format("%02d-%s.png", ++taken, name)),
                    driver.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Cuts the page off the network (every request fails as on a dead server), or reconnects it. */
    public void offline(boolean offline) {
        driver.executeCdpCommand("Network.enable", Map.of());
        driver.executeCdpCommand("Network.emulateNetworkConditions", Map.of("offline", offline, "latency", 0,
                "downloadThroughput", -1, "uploadThroughput", -1));
    }

    /** Makes the page's viewport exactly this size, as on a phone. */
    public void viewport(int width, int height) {
        driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height", height,
                "deviceScaleFactor", 1, "mobile", true));
    }

    /**
     * Answers the page's own {@code fetch} calls whose path starts with {@code pathPrefix} with a given response,
     * instead of the server, and records the URLs asked in {@code window.__stubbed}. For server answers this build
     * cannot produce (a rate limit, an API that is not there).
     */
    public void stubFetch(String method, String pathPrefix, int status, Map<String, String> headers, String body) {
        script("""
                const [method, prefix, status, headers, body] = arguments;
                window.__stubbed = window.__stubbed || [];
                const original = window.fetch;
                window.fetch = (input, init) => {
                  const url = new URL(String(input), location.href);
                  const m = (init && init.method) || 'GET';
                  if (m === method && url.pathname.startsWith(prefix)) {
                    window.__stubbed.push(url.pathname + url.search);
                    return Promise.resolve(new Response(body, { status, headers }));
                  }
                  return original(input, init);
                };
                """, method, pathPrefix, status, headers, body);
    }

    @SuppressWarnings("unchecked")
    public List<String> stubbedRequests() {
        Object calls = script("return window.__stubbed || [];");
        return (List<String>) calls;
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temp directory; the OS cleans up what is left
            }
        }
    }
}
