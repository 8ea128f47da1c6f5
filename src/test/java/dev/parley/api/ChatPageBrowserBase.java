package dev.parley.api;

import static dev.parley.testing.Await.result;
import static io.restassured.RestAssured.given;

import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

import dev.parley.auth.Tenants;
import dev.parley.store.Message;
import dev.parley.store.MessageStore;
import dev.parley.store.TurnStore;
import dev.parley.testing.Browser;
import dev.parley.testing.FakeUpstream;
import io.quarkus.test.common.http.TestHTTPResource;
import io.restassured.http.ContentType;
import io.vertx.core.json.JsonObject;

/**
 * What the browser tests of the web page share: a fresh tenant and a fresh headless Chromium per test, the server's
 * address, and the page's elements by id. Screenshots of the main states, and of any failure, are written under
 * {@code target/browser-screenshots/<class>/<test>/}.
 */
abstract class ChatPageBrowserBase {

    static final Duration WAIT = Duration.ofSeconds(15);

    @Inject
    Tenants tenants;

    @Inject
    MessageStore messages;

    @Inject
    TurnStore turns;

    @TestHTTPResource("/")
    URL root;

    String key;
    UUID tenantId;
    Browser browser;

    @RegisterExtension
    final AfterTestExecutionCallback screenshotOnFailure = context -> {
        if (context.getExecutionException().isPresent() && browser != null) {
            browser.screenshot("failure");
        }
    };

    @BeforeEach
    void startBrowser(TestInfo test) {
        FakeUpstream.reset();
        Tenants.NewTenant t = result(tenants.createTenant("page-" + UUID.randomUUID(), Tenants.TENANT_SCOPES));
        key = t.plaintextKey();
        tenantId = t.tenant().id();
        browser = Browser.start(Path.of("target", "browser-screenshots", getClass().getSimpleName(),
                test.getTestMethod().orElseThrow().getName()));
    }

    @AfterEach
    void closeBrowser() {
        FakeUpstream.reset();
        if (browser != null) {
            browser.close();
        }
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    void open() {
        browser.driver.get(root.toString());
        browser.waitUpTo(WAIT).until(d -> element("#signin").isDisplayed() || element("#app").isDisplayed());
    }

    void signIn() {
        element("#api-key").sendKeys(key);
        element("#signin-button").click();
        browser.waitUpTo(WAIT).until(d -> element("#app").isDisplayed() && !element("#signin").isDisplayed());
    }

    void openConversation(String id) {
        open();
        signIn();
        By item = By.cssSelector("#conversation-list li[data-id='" + id + "'] a");
        browser.waitUpTo(WAIT).until(d -> !d.findElements(item).isEmpty());
        browser.driver.findElement(item).click();
        browser.waitUpTo(WAIT).until(d -> element("#messages").getDomAttribute("aria-busy") == null
                && element("#chat-actions").isDisplayed());
    }

    /** Picks the model for a new chat, once the page has loaded the list of models. */
    void chooseModel(String model) {
        By option = By.cssSelector("#model option[value='" + model + "']");
        browser.waitUpTo(WAIT).until(d -> !d.findElements(option).isEmpty());
        new Select(element("#model")).selectByValue(model);
    }

    String conversationViaApi(String title) {
        return given().header("Authorization", "Bearer " + key).contentType(ContentType.JSON)
                .body(new JsonObject().put("title", title).put("model", FakeUpstream.MODEL).encode())
                .post("/api/conversations").then().statusCode(201).extract().path("id");
    }

    io.restassured.response.Response apiConversation(String id) {
        return given().header("Authorization", "Bearer " + key).get("/api/conversations/" + id);
    }

    List<Message> stored(String conversationId) {
        return result(messages.list(tenantId, UUID.fromString(conversationId), null, 100)).items();
    }

    WebElement element(String css) {
        return browser.driver.findElement(By.cssSelector(css));
    }

    String text(String css) {
        return element(css).getText();
    }

    int messageCount() {
        return browser.driver.findElements(By.cssSelector("#messages .msg")).size();
    }

    List<String> listTitles() {
        return browser.driver.findElements(By.cssSelector("#conversation-list li a")).stream()
                .map(a -> a.getText().split("\n")[0]).toList();
    }

    void waitForText(By locator, String expected) {
        browser.waitUpTo(WAIT).withMessage(() -> "text '" + expected + "' in " + locator)
                .until(d -> d.findElements(locator).stream().anyMatch(e -> e.getText().contains(expected)));
    }

    /** The text of the last reply while it is still streaming, once it contains {@code part}. */
    String waitForStreamingReplyContaining(String part) {
        By streaming = By.cssSelector(".msg-assistant[data-state='streaming'] .msg-body");
        return browser.waitUpTo(WAIT).withMessage(() -> "a streaming reply containing " + part).until(d -> {
            List<WebElement> found = d.findElements(streaming);
            String t = found.isEmpty() ? "" : found.get(found.size() - 1).getText();
            return t.contains(part) ? t : null;
        });
    }

    /** The text of the last reply once it has finished (stored by the server). */
    String waitForFinishedReply() {
        By finished = By.cssSelector(".msg-assistant[data-finish]:last-child .msg-body");
        return browser.waitUpTo(WAIT).withMessage(() -> "a finished reply").until(d -> {
            List<WebElement> found = d.findElements(finished);
            return found.isEmpty() ? null : found.get(0).getText();
        });
    }
}
