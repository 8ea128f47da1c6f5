package dev.parley.api;

import static dev.parley.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;

import dev.parley.store.Message;
import dev.parley.store.Timestamps;
import dev.parley.store.TurnStore;
import dev.parley.store.UuidV7;
import dev.parley.testing.Eventually;
import dev.parley.testing.FakeUpstream;

/**
 * The web page at {@code GET /} in a real browser (headless Chromium) against the real server and the fake upstreams.
 * Written once, run on SQLite and on PostgreSQL.
 */
public abstract class ChatPageBrowserContract extends ChatPageBrowserBase {

    /** Keeps every write of the backend from committing until closed: the database's write lock held elsewhere. */
    abstract AutoCloseable stallWrites() throws Exception;

    // --- signing in --------------------------------------------------------------------------------------------

    @Test
    void signingInKeepsTheKeyInSessionStorageAndNeverInTheUrl() {
        conversationViaApi("Earlier chat");
        open();
        browser.screenshot("sign-in");
        signIn();
        waitForText(By.cssSelector("#conversation-list li"), "Earlier chat");
        browser.screenshot("signed-in");

        assertThat(browser.driver.getCurrentUrl()).doesNotContain(key);
        assertThat(browser.script("return sessionStorage.getItem('parley.apiKey')")).isEqualTo(key);
        assertThat(browser.script("return localStorage.length + document.cookie.length")).isEqualTo(0L);
        assertThat(text("#chat-status")).isEmpty();
        assertThat(element("#banner").isDisplayed()).isFalse();

        browser.driver.navigate().refresh();
        waitForText(By.cssSelector("#conversation-list li"), "Earlier chat");
        assertThat(element("#signin").isDisplayed()).as("still signed in after a reload of the tab").isFalse();
    }

    @Test
    void aKeyTheServerRefusesIsReportedOnTheSignInForm() {
        open();
        element("#api-key").sendKeys("pk_this_is_not_a_key", Keys.ENTER);
        waitForText(By.id("signin-error"), "not accepted");
        browser.screenshot("refused");
        assertThat(element("#app").isDisplayed()).isFalse();
        assertThat(browser.script("return sessionStorage.getItem('parley.apiKey')")).isNull();
    }

    @Test
    void aKeyThatStopsWorkingSendsYouBackToSignIn() {
        open();
        signIn();
        // what a revoked or expired key looks like to the page: the next request answers 401
        browser.script("sessionStorage.setItem('parley.apiKey', 'pk_revoked_' + 'x'.repeat(40))");
        browser.driver.navigate().refresh();
        waitForText(By.id("signin-error"), "not accepted");
        browser.screenshot("back-to-sign-in");
        assertThat(element("#signin").isDisplayed()).isTrue();
        assertThat(element("#app").isDisplayed()).isFalse();
        assertThat(browser.script("return sessionStorage.getItem('parley.apiKey')")).isNull();
    }

    // --- chatting ----------------------------------------------------------------------------------------------

    @Test
    void aNewConversationStreamsTheReplyIntoThePageTokenByToken() {
        FakeUpstream.tokens = 12;
        FakeUpstream.delayMs = 150;
        open();
        signIn();
        chooseModel(FakeUpstream.MODEL);
        element("#composer-input").sendKeys("Hello streaming", Keys.ENTER);

        String first = waitForStreamingReplyContaining("t1");
        browser.screenshot("streaming");
        String second = waitForStreamingReplyContaining("t4");
        assertThat(second).as("a later state of the same reply").startsWith(first).isNotEqualTo(first);
        String done = waitForFinishedReply();
        browser.screenshot("reply-finished");
        assertThat(done).startsWith(second).isEqualTo(FakeUpstream.expectedText(12).trim());

        assertThat(text(".msg-user .msg-body")).isEqualTo("Hello streaming");
        assertThat(text("#chat-title")).isEqualTo("Hello streaming");
        assertThat(browser.driver.findElements(By.cssSelector("#conversation-list li")).get(0).getText())
                .startsWith("Hello streaming");
        String id = browser.driver.getCurrentUrl().replaceFirst(".*#/c/", "");
        List<Message> stored = stored(id);
        assertThat(stored).extracting(Message::content).containsExactly("Hello streaming",
                FakeUpstream.expectedText(12));
        assertThat(element(".msg-assistant").getDomAttribute("data-id")).isEqualTo(stored.get(1).id().toString());
        assertThat(FakeUpstream.allRequests()).singleElement()
                .satisfies(r -> assertThat(r.getString("model")).isEqualTo(FakeUpstream.MODEL));
    }

    @Test
    void stopCancelsTheReplyAndAReloadShowsThePartialReplyTheServerStored() {
        FakeUpstream.tokens = 500;
        FakeUpstream.delayMs = 50;
        String id = conversationViaApi("Long one");
        openConversation(id);
        element("#composer-input").sendKeys("Tell me everything", Keys.ENTER);
        waitForStreamingReplyContaining("t2");
        element("#stop").click();
        browser.waitUpTo(WAIT).until(d -> dev.parley.chat.Turn.CLIENT_DISCONNECTED.equals(
                element(".msg-assistant").getDomAttribute("data-finish")));
        assertThat(text(".msg-assistant .msg-meta")).contains("Stopped");
        assertThat(element("#send").isDisplayed()).isTrue();
        browser.screenshot("stopped");

        Message partial = Eventually.value(() -> stored(id), s -> s.size() == 2, WAIT).get(1);
        assertThat(partial.finishReason()).isEqualTo(dev.parley.chat.Turn.CLIENT_DISCONNECTED);
        assertThat(partial.content()).startsWith("t0 t1 t2 ").isNotEqualTo(FakeUpstream.expectedText(500));

        browser.driver.navigate().refresh();
        By reloaded = By.cssSelector(".msg-assistant[data-id='" + partial.id() + "']");
        browser.waitUpTo(WAIT).until(d -> !d.findElements(reloaded).isEmpty());
        WebElement reply = browser.driver.findElement(reloaded);
        browser.screenshot("partial-reply-after-reload");
        assertThat(reply.findElement(By.className("msg-body")).getText()).isEqualTo(partial.content().trim());
        assertThat(reply.getDomAttribute("data-finish")).isEqualTo(dev.parley.chat.Turn.CLIENT_DISCONNECTED);
        assertThat(reply.findElement(By.className("msg-meta")).getText()).contains("Stopped");
    }

    @Test
    void markupInARepliesAndTitlesIsShownAsTextAndRunsNothing() {
        String script = "<script>window.__xss='script';alert('script')</script>";
        String img = "<img src=x onerror=\"window.__xss='img';alert('img')\">";
        FakeUpstream.reply = "Look: " + script + " and " + img + " and [click](javascript:window.__xss='link') end";
        open();
        signIn();
        chooseModel(FakeUpstream.MODEL);
        String question = "Hi <img src=y onerror=\"window.__xss='user'\"> there";
        element("#composer-input").sendKeys(question, Keys.ENTER);
        String reply = waitForFinishedReply();
        browser.screenshot("markup-as-text");

        assertThat(reply).contains(script).contains(img).contains("[click](javascript:window.__xss='link')");
        assertThat(text(".msg-user .msg-body")).isEqualTo(question);
        assertThat(text("#chat-title")).isEqualTo(question);
        assertNothingRan();

        browser.driver.navigate().refresh(); // the stored history goes through the same rendering
        waitForText(By.cssSelector(".msg-assistant .msg-body"), script);
        assertThat(text("#conversation-list li")).contains(question);
        assertNothingRan();
    }

    private void assertNothingRan() {
        assertThatThrownBy(() -> browser.driver.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
        assertThat(browser.script("return window.__xss === undefined")).isEqualTo(true);
        assertThat(browser.script("return document.querySelectorAll('body script, img, iframe, [onerror]').length"))
                .isEqualTo(0L);
        assertThat(browser.driver.findElements(By.cssSelector(".msg a"))).isEmpty();
    }

    @Test
    void markdownInRepliesIsFormattedWithCodeBlocksInMonospace() {
        FakeUpstream.reply = "Here is **bold**, *slanted* and `inline code`:\n\n```java\nint answer = 42;\n```\n\n"
                + "- one\n- two\n\nSee [the docs](https://example.org/docs).";
        String id = conversationViaApi("Markdown");
        openConversation(id);
        element("#composer-input").sendKeys("format please", Keys.ENTER);
        waitForFinishedReply();
        browser.screenshot("markdown");

        WebElement body = element(".msg-assistant .msg-body");
        assertThat(body.findElement(By.cssSelector("strong")).getText()).isEqualTo("bold");
        assertThat(body.findElement(By.cssSelector("em")).getText()).isEqualTo("slanted");
        assertThat(body.findElement(By.cssSelector("p > code")).getText()).isEqualTo("inline code");
        WebElement pre = body.findElement(By.cssSelector("pre > code.language-java"));
        assertThat(pre.getText()).isEqualTo("int answer = 42;");
        assertThat(pre.getCssValue("font-family")).contains("monospace");
        assertThat(body.findElements(By.cssSelector("ul > li"))).extracting(WebElement::getText)
                .containsExactly("one", "two");
        WebElement link = body.findElement(By.cssSelector("a"));
        assertThat(link.getDomAttribute("href")).isEqualTo("https://example.org/docs");
        assertThat(link.getDomAttribute("rel")).contains("noopener");
    }

    @Test
    void enterSendsAndShiftEnterStartsANewLine() {
        String id = conversationViaApi("Keys");
        openConversation(id);
        WebElement input = element("#composer-input");
        input.sendKeys("first line", Keys.chord(Keys.SHIFT, Keys.ENTER), "second line");
        assertThat(input.getDomProperty("value")).isEqualTo("first line\nsecond line");
        assertThat(browser.driver.findElements(By.cssSelector(".msg"))).isEmpty();

        input.sendKeys(Keys.ENTER);
        waitForFinishedReply();
        assertThat(text(".msg-user .msg-body")).isEqualTo("first line\nsecond line");
        assertThat(input.getDomProperty("value")).isEmpty();
        assertThat(stored(id).get(0).content()).isEqualTo("first line\nsecond line");
    }

    // --- long conversations and the list --------------------------------------------------------------------------

    @Test
    void aLongConversationAddsOlderMessagesOnScrollingUpWithoutRedrawingTheOthers() {
        String id = conversationViaApi("Long history");
        var base = Timestamps.now().minusSeconds(3600);
        for (int i = 0; i < 130; i++) {
            result(turns.start(new TurnStore.TurnStart(null, java.util.List.of(new Message(UuidV7.next(), tenantId, UUID.fromString(id),
                    i % 2 == 0 ? Message.Role.USER : Message.Role.ASSISTANT, "message " + i, 1, 1,
                    i % 2 == 0 ? null : "stop", base.plusMillis(i))), null)));
        }
        openConversation(id);
        waitForText(By.cssSelector(".msg:last-child .msg-body"), "message 129");
        int shown = messageCount();
        assertThat(shown).as("only the newest part of the history is in the page").isLessThan(130);
        assertThat(browser.driver.findElements(By.cssSelector(".msg-body"))).extracting(WebElement::getText)
                .doesNotContain("message 0");
        browser.script("document.querySelectorAll('.msg').forEach(n => n.__kept = true)");

        browser.waitUpTo(WAIT).until(d -> {
            browser.script("document.getElementById('messages').scrollTop = 0");
            return messageCount() == 130;
        });
        browser.screenshot("whole-history");
        assertThat(text(".msg:first-of-type .msg-body")).isEqualTo("message 0");
        assertThat(browser.script("return [...document.querySelectorAll('.msg')].filter(n => n.__kept).length"))
                .as("the messages shown before are the same DOM nodes").isEqualTo((long) shown);

        element("#composer-input").sendKeys("one more", Keys.ENTER);
        waitForFinishedReply();
        assertThat(messageCount()).isEqualTo(132);
        assertThat(browser.script("return [...document.querySelectorAll('.msg')].filter(n => n.__kept).length"))
                .as("a new turn is appended, nothing is redrawn").isEqualTo((long) shown);
    }

    @Test
    void theListShowsTheMostRecentConversationsFirstAndLoadsMoreOnRequest() {
        for (int i = 0; i < 23; i++) {
            conversationViaApi("c" + i);
        }
        open();
        signIn();
        browser.waitUpTo(WAIT).until(d -> listTitles().size() == 20);
        assertThat(listTitles().get(0)).isEqualTo("c22");
        assertThat(listTitles().get(19)).isEqualTo("c3");
        element("#list-more").click();
        browser.waitUpTo(WAIT).until(d -> listTitles().size() == 23);
        assertThat(listTitles().subList(20, 23)).containsExactly("c2", "c1", "c0");
        assertThat(element("#list-more").isDisplayed()).isFalse();
    }

    @Test
    void renameChangesTheTitleInTheHeaderTheListAndTheServer() {
        String id = conversationViaApi("Old name");
        openConversation(id);
        element("#rename").click();
        WebElement input = element("#rename-input");
        assertThat(browser.driver.switchTo().activeElement()).isEqualTo(input);
        input.sendKeys(Keys.chord(Keys.CONTROL, "a"), "New name", Keys.ENTER);
        waitForText(By.id("chat-title"), "New name");
        browser.screenshot("renamed");
        assertThat(text("#conversation-list li")).startsWith("New name");
        apiConversation(id).then().statusCode(200).body("title", org.hamcrest.Matchers.equalTo("New name"));
    }

    @Test
    void archiveMovesAConversationToTheArchivedListAndRestoreBringsItBack() {
        String id = conversationViaApi("Keep for later");
        conversationViaApi("Active one");
        openConversation(id);
        element("#archive").click();
        browser.waitUpTo(WAIT).until(d -> !listTitles().contains("Keep for later"));
        assertThat(listTitles()).containsExactly("Active one");
        apiConversation(id).then().body("archived", org.hamcrest.Matchers.equalTo(true));

        element("#show-archived").click();
        browser.waitUpTo(WAIT).until(d -> listTitles().equals(List.of("Keep for later")));
        browser.screenshot("archived-list");
        assertThat(text("#archive")).isEqualTo("Restore");
        element("#archive").click();
        browser.waitUpTo(WAIT).until(d -> listTitles().isEmpty());
        apiConversation(id).then().body("archived", org.hamcrest.Matchers.equalTo(false));
        element("#show-archived").click();
        browser.waitUpTo(WAIT).until(d -> listTitles().contains("Keep for later"));
    }

    @Test
    void deleteAsksOnceMoreAndThenRemovesTheConversation() {
        String id = conversationViaApi("Doomed");
        openConversation(id);
        element("#delete").click();
        browser.screenshot("delete-confirmation");
        element("#delete-no").click();
        assertThat(listTitles()).containsExactly("Doomed");
        apiConversation(id).then().statusCode(200);

        element("#delete").click();
        element("#delete-yes").click();
        browser.waitUpTo(WAIT).until(d -> listTitles().isEmpty());
        waitForText(By.id("chat-title"), "New chat");
        assertThat(text("#list-status")).contains("Deleted");
        apiConversation(id).then().statusCode(404);
    }

    // --- errors and health ---------------------------------------------------------------------------------------

    @Test
    void aRateLimitedMessageSaysWhenToRetryAndStaysInTheComposer() {
        String id = conversationViaApi("Busy");
        openConversation(id);
        browser.stubFetch("POST", "/api/conversations/" + id + "/messages", 429,
                Map.of("Content-Type", "application/problem+json", "Retry-After", "7"),
                "{\"type\":\"https://parley.dev/problems/rate-limited\",\"title\":\"Too many requests\","
                        + "\"status\":429,\"detail\":\"at most 60 requests per minute\"}");
        element("#composer-input").sendKeys("hello?", Keys.ENTER);
        waitForText(By.id("chat-status"), "Try again in 7 seconds");
        browser.screenshot("rate-limited");
        assertThat(text("#chat-status")).isEqualTo(
                "Too many requests. Try again in 7 seconds. At most 60 requests per minute.");
        assertThat(element("#composer-input").getDomProperty("value")).isEqualTo("hello?");
        assertThat(messageCount()).isZero();
    }

    @Test
    void anOverloadedServerSaysWhenToRetry() {
        String id = conversationViaApi("Overloaded");
        openConversation(id);
        browser.stubFetch("POST", "/api/conversations/" + id + "/messages", 503,
                Map.of("Content-Type", "application/problem+json", "Retry-After", "2"),
                "{\"type\":\"https://parley.dev/problems/overloaded\",\"title\":\"Service overloaded\","
                        + "\"status\":503,\"detail\":\"the write queue is full\"}");
        element("#composer-input").sendKeys("hello?", Keys.ENTER);
        waitForText(By.id("chat-status"), "Parley is overloaded. Try again in 2 seconds.");
        assertThat(element("#composer-input").getDomProperty("value")).isEqualTo("hello?");
    }

    @Test
    void aServerThatCannotBeReachedShowsABannerAndThePageStaysUsable() {
        open();
        signIn();
        browser.offline(true);
        waitForText(By.id("banner"), "Cannot reach the Parley server");
        element("#composer-input").sendKeys("anyone there?", Keys.ENTER);
        waitForText(By.id("chat-status"), "Cannot reach the Parley server");
        browser.screenshot("server-unreachable");
        assertThat(element("#composer-input").getDomProperty("value")).isEqualTo("anyone there?");
        assertThat(element("#send").isEnabled()).isTrue();

        browser.offline(false);
        browser.waitUpTo(WAIT).until(d -> !element("#banner").isDisplayed());
        element("#composer-input").sendKeys(Keys.ENTER);
        waitForFinishedReply();
    }

    @Test
    void aWriteStallShowsABannerUntilWritesCommitAgain() throws Exception {
        open();
        signIn();
        try (AutoCloseable stall = stallWrites()) {
            // readiness turns DOWN after PARLEY_HEALTH_WRITE_STALL_TIMEOUT (5 s) without a committed write
            browser.waitUpTo(Duration.ofSeconds(30)).until(d -> element("#banner").getText().contains("not ready"));
            browser.screenshot("write-stall");
            assertThat(text("#banner")).contains("no write committed");
        }
        browser.waitUpTo(Duration.ofSeconds(30)).until(d -> !element("#banner").isDisplayed());
    }

    // --- small screens, keyboard, labels, weight --------------------------------------------------------------------

    @Test
    void thePageFitsA360PixelWideScreen() {
        browser.viewport(360, 740);
        FakeUpstream.reply = "A long line:\n\n```\n" + "x".repeat(300) + "\n```\n\nand " + "y".repeat(200);
        open();
        assertFitsWidth(360);
        signIn();
        chooseModel(FakeUpstream.MODEL);
        element("#composer-input").sendKeys("narrow", Keys.ENTER);
        waitForFinishedReply();
        browser.screenshot("chat-at-360px");
        assertFitsWidth(360);
        WebElement send = element("#send");
        assertThat(send.isDisplayed()).isTrue();
        assertThat(send.getRect().getX() + send.getRect().getWidth()).isLessThanOrEqualTo(360);

        element("#back").click();
        assertThat(element("#chat").isDisplayed()).isFalse();
        waitForText(By.cssSelector("#conversation-list li"), "narrow");
        browser.screenshot("list-at-360px");
        assertFitsWidth(360);
        element("#conversation-list a").click();
        browser.waitUpTo(WAIT).until(d -> element("#chat").isDisplayed() && !element("#sidebar").isDisplayed());
    }

    private void assertFitsWidth(int width) {
        assertThat((Long) browser.script("return document.documentElement.scrollWidth"))
                .as("no horizontal scrolling of the page").isLessThanOrEqualTo(width);
    }

    @Test
    void controlsHaveNamesAndTheFocusFollowsThePage() {
        open();
        assertThat(browser.driver.switchTo().activeElement().getDomAttribute("id")).isEqualTo("api-key");
        assertThat(element("#api-key").getAccessibleName()).isEqualTo("API key");
        browser.driver.switchTo().activeElement().sendKeys(Keys.TAB);
        assertThat(browser.driver.switchTo().activeElement().getDomAttribute("id")).isEqualTo("signin-button");

        conversationViaApi("Named");
        signIn();
        waitForText(By.cssSelector("#conversation-list li"), "Named");
        assertThat(browser.driver.switchTo().activeElement().getDomAttribute("id"))
                .as("ready to type after signing in").isEqualTo("composer-input");
        browser.driver.switchTo().activeElement().sendKeys(Keys.TAB);
        assertThat(browser.driver.switchTo().activeElement().getDomAttribute("id")).isEqualTo("send");

        List<String> unnamed = new ArrayList<>();
        for (WebElement control : browser.driver.findElements(By.cssSelector("button, input, select, textarea, a"))) {
            if (control.isDisplayed() && control.getAccessibleName().isBlank()) {
                unnamed.add(control.getTagName() + "#" + control.getDomAttribute("id"));
            }
        }
        assertThat(unnamed).as("visible controls without an accessible name").isEmpty();
        assertThat(browser.script("return [...document.querySelectorAll('[tabindex]')]"
                + ".filter(e => e.tabIndex > 0).length")).as("no tabindex reorders the page").isEqualTo(0L);
    }

    @Test
    void theFirstLoadTransfersLessThan100Kilobytes() {
        open();
        browser.waitUpTo(WAIT).until(d -> (Boolean) browser.script(
                "return performance.getEntriesByName('parley:interactive').length > 0"));
        @SuppressWarnings("unchecked")
        Map<String, Object> weight = (Map<String, Object>) browser.script("""
                const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
                return { bytes: entries.reduce((sum, e) => sum + e.transferSize, 0),
                         names: entries.map(e => new URL(e.name).pathname) };
                """);
        @SuppressWarnings("unchecked")
        List<String> names = (List<String>) weight.get("names");
        assertThat(names).contains("/", "/app.js", "/render.js", "/app.css");
        assertThat((Long) weight.get("bytes")).isPositive().isLessThan(100 * 1024L);
    }
}
