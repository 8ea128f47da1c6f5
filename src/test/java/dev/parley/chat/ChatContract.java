package dev.parley.chat;

import static dev.parley.testing.Await.result;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.parley.auth.Tenants;
import dev.parley.store.Message;
import dev.parley.store.MessageStore;
import dev.parley.testing.Eventually;
import dev.parley.testing.FakeUpstream;
import dev.parley.testing.SseClient;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Chat turns through the real HTTP stack against fake OpenAI-compatible upstreams: streaming, storage of complete
 * and partial replies, history, failover. Written once, run on SQLite and PostgreSQL.
 */
public abstract class ChatContract {

    @Inject
    Tenants tenants;

    @Inject
    MessageStore messages;

    String key;
    UUID tenantId;

    @BeforeEach
    void setUp() {
        FakeUpstream.reset();
        Tenants.NewTenant t = result(tenants.createTenant("chat-" + UUID.randomUUID(), Tenants.TENANT_SCOPES));
        key = t.plaintextKey();
        tenantId = t.tenant().id();
    }

    @AfterEach
    void restoreUpstreams() {
        FakeUpstream.reset();
    }

    String conversation(String model) {
        return given().header("Authorization", "Bearer " + key).contentType(ContentType.JSON)
                .body(new JsonObject().put("model", model).encode()).post("/api/conversations")
                .then().statusCode(201).extract().path("id");
    }

    SseClient send(String conversationId, String content) throws Exception {
        return SseClient.post(RestAssured.port, "/api/conversations/" + conversationId + "/messages", key,
                new JsonObject().put("content", content).encode());
    }

    List<Message> stored(String conversationId) {
        return result(messages.list(tenantId, UUID.fromString(conversationId), null, 100)).items();
    }

    @Test
    void replyStreamsAsTypedEventsAndIsStoredWithTokenCounts() throws Exception {
        String id = conversation(FakeUpstream.MODEL);
        List<SseClient.Event> events;
        try (SseClient sse = send(id, "Hello there")) {
            assertThat(sse.response.statusCode()).isEqualTo(200);
            assertThat(sse.response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
            events = sse.readAll();
        }
        assertThat(events.get(0).name()).isEqualTo("message.start");
        JsonObject start = new JsonObject(events.get(0).data());
        assertThat(start.getString("conversationId")).isEqualTo(id);
        assertThat(events.subList(1, 6)).extracting(SseClient.Event::name).containsOnly("delta");
        String text = events.subList(1, 6).stream().map(e -> new JsonObject(e.data()).getString("text"))
                .reduce("", String::concat);
        assertThat(text).isEqualTo(FakeUpstream.expectedText(5));
        SseClient.Event end = events.get(events.size() - 1);
        assertThat(end.name()).isEqualTo("message.end");
        JsonObject endData = new JsonObject(end.data());
        assertThat(endData.getString("finishReason")).isEqualTo("stop");
        assertThat(endData.getInteger("tokensIn")).isEqualTo(11);
        assertThat(endData.getInteger("tokensOut")).isEqualTo(5);

        List<Message> stored = stored(id);
        assertThat(stored).hasSize(2);
        assertThat(stored.get(0).role()).isEqualTo(Message.Role.USER);
        assertThat(stored.get(0).content()).isEqualTo("Hello there");
        assertThat(stored.get(0).id().toString()).isEqualTo(start.getString("userMessageId"));
        Message reply = stored.get(1);
        assertThat(reply.id().toString()).isEqualTo(start.getString("messageId")).isEqualTo(endData.getString(
                "messageId"));
        assertThat(reply.content()).isEqualTo(text);
        assertThat(reply.finishReason()).isEqualTo("stop");
        assertThat(reply.tokensIn()).isEqualTo(11);
        assertThat(reply.tokensOut()).isEqualTo(5);
    }

    @Test
    void upstreamReceivesTheModelAndItsApiKeyAndIsAskedForUsage() throws Exception {
        String id = conversation(FakeUpstream.MODEL);
        try (SseClient sse = send(id, "hi")) {
            sse.readAll();
        }
        JsonObject request = FakeUpstream.allRequests().get(0);
        assertThat(request.getString("model")).isEqualTo(FakeUpstream.MODEL);
        assertThat(request.getBoolean("stream")).isTrue();
        assertThat(request.getJsonObject("stream_options").getBoolean("include_usage")).isTrue();
    }

    @Test
    void nonStreamingRequestGetsTheWholeReplyAsJson() {
        String id = conversation(FakeUpstream.MODEL);
        given().header("Authorization", "Bearer " + key).contentType(ContentType.JSON)
                .body("{\"content\":\"hi\",\"stream\":false}").post("/api/conversations/" + id + "/messages")
                .then().statusCode(200).contentType(ContentType.JSON)
                .body("conversationId", equalTo(id))
                .body("message.role", equalTo("assistant"))
                .body("message.content", equalTo(FakeUpstream.expectedText(5)))
                .body("message.finishReason", equalTo("stop"));
        assertThat(stored(id)).hasSize(2);
    }

    @Test
    void earlierMessagesAreSentAsHistory() throws Exception {
        String id = conversation(FakeUpstream.MODEL);
        try (SseClient sse = send(id, "first question")) {
            sse.readAll();
        }
        try (SseClient sse = send(id, "second question")) {
            sse.readAll();
        }
        JsonObject second = FakeUpstream.allRequests().stream()
                .filter(r -> r.getJsonArray("messages").size() > 1).findFirst().orElseThrow();
        JsonArray prompt = second.getJsonArray("messages");
        assertThat(prompt.stream().map(m -> ((JsonObject) m).getString("role") + ":" + ((JsonObject) m).getString(
                "content"))).containsExactly("user:first question", "assistant:" + FakeUpstream.expectedText(5),
                        "user:second question");
    }

    @Test
    void providerFailureMidStreamStoresThePartialReply() throws Exception {
        FakeUpstream.breakAfterTokens = 3;
        String id = conversation(FakeUpstream.MODEL);
        List<SseClient.Event> events;
        try (SseClient sse = send(id, "break please")) {
            events = sse.readAll();
        }
        SseClient.Event last = events.get(events.size() - 1);
        assertThat(last.name()).isEqualTo("error");
        JsonObject problem = new JsonObject(last.data());
        assertThat(problem.getString("type")).endsWith("/upstream-error");
        assertThat(problem.getInteger("status")).isEqualTo(502);
        assertThat(problem.getString("finishReason")).isEqualTo(Turn.PROVIDER_ERROR);

        Message reply = stored(id).get(1);
        assertThat(reply.content()).isEqualTo(FakeUpstream.expectedText(3));
        assertThat(reply.finishReason()).isEqualTo(Turn.PROVIDER_ERROR);
        assertThat(reply.id().toString()).isEqualTo(problem.getString("messageId"));
    }

    @Test
    void clientDisconnectStoresThePartialReplyAndCancelsTheUpstream() throws Exception {
        FakeUpstream.tokens = 500;
        FakeUpstream.delayMs = 20;
        String id = conversation(FakeUpstream.MODEL);
        try (SseClient sse = send(id, "long answer please")) {
            sse.readUntil(e -> "delta".equals(e.name()) && new JsonObject(e.data()).getString("text").equals("t2 "));
        } // the client goes away here

        Message reply = Eventually.value(() -> stored(id), s -> s.size() == 2, Duration.ofSeconds(10)).get(1);
        assertThat(reply.finishReason()).isEqualTo(Turn.CLIENT_DISCONNECTED);
        assertThat(reply.content()).startsWith(FakeUpstream.expectedText(3));
        Eventually.value(FakeUpstream::totalAbandoned, n -> n == 1, Duration.ofSeconds(10));
        assertThat(FakeUpstream.FIRST.completed.get() + FakeUpstream.SECOND.completed.get()).isZero();
    }

    @Test
    void anUpstreamThatFailsBeforeTheFirstTokenIsReplacedByTheNext() throws Exception {
        FakeUpstream.FIRST.failStatus = 503;
        for (int i = 0; i < 4; i++) { // round-robin means some of these start on the failing upstream
            String id = conversation(FakeUpstream.MODEL);
            try (SseClient sse = send(id, "hi " + i)) {
                List<SseClient.Event> events = sse.readAll();
                assertThat(events.get(events.size() - 1).name()).isEqualTo("message.end");
            }
            assertThat(stored(id).get(1).content()).isEqualTo(FakeUpstream.expectedText(5));
        }
        assertThat(FakeUpstream.FIRST.requests).isNotEmpty();
        assertThat(FakeUpstream.SECOND.completed.get()).isEqualTo(4);
    }

    @Test
    void aConnectionDroppedBeforeAnyAnswerIsRetriedOnceEvenWithASingleUpstream() throws Exception {
        FakeUpstream.FIRST.dropNext.set(1);
        String id = conversation(FakeUpstream.SOLO_MODEL);
        try (SseClient sse = send(id, "hello")) {
            List<SseClient.Event> events = sse.readAll();
            assertThat(events.get(events.size() - 1).name()).isEqualTo("message.end");
        }
        assertThat(FakeUpstream.FIRST.requests).hasSize(2);
        assertThat(stored(id).get(1).content()).isEqualTo(FakeUpstream.expectedText(5));
    }

    @Test
    void aSingleUpstreamThatKeepsFailingIsNotRetriedForever() throws Exception {
        FakeUpstream.FIRST.dropNext.set(10);
        String id = conversation(FakeUpstream.SOLO_MODEL);
        try (SseClient sse = send(id, "hello")) {
            List<SseClient.Event> events = sse.readAll();
            assertThat(events.get(events.size() - 1).name()).isEqualTo("error");
        }
        assertThat(FakeUpstream.FIRST.requests).hasSize(2);
        assertThat(stored(id)).extracting(Message::finishReason).containsExactly(null, Turn.PROVIDER_ERROR);
    }

    @Test
    void whenEveryUpstreamIsDownTheClientGetsAnErrorEventAndTheFailureIsStored() throws Exception {
        FakeUpstream.FIRST.failStatus = 500;
        FakeUpstream.SECOND.failStatus = 500;
        String id = conversation(FakeUpstream.MODEL);
        List<SseClient.Event> events;
        try (SseClient sse = send(id, "anyone?")) {
            events = sse.readAll();
        }
        assertThat(events).extracting(SseClient.Event::name).containsExactly("message.start", "error");
        String detail = new JsonObject(events.get(1).data()).getString("detail");
        assertThat(detail).contains("answered HTTP 500").containsPattern("error id [0-9a-f-]{36}")
                .as("the upstream's address and error body stay in the log").doesNotContain("127.0.0.1")
                .doesNotContain("is down").doesNotContain("fake-");
        assertThat(stored(id)).extracting(Message::finishReason).containsExactly(null, Turn.PROVIDER_ERROR);
    }

    @Test
    void unknownModelIsRejectedBeforeAnythingIsStored() {
        String id = conversation(FakeUpstream.MODEL);
        given().header("Authorization", "Bearer " + key).contentType(ContentType.JSON)
                .body("{\"content\":\"hi\",\"model\":\"no-such-model\"}")
                .post("/api/conversations/" + id + "/messages")
                .then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("https://parley.dev/problems/unknown-model"));
        assertThat(stored(id)).isEmpty();
        assertThat(FakeUpstream.allRequests()).isEmpty();
    }

    @Test
    void sendingToAnotherTenantsConversationIs404() {
        String id = conversation(FakeUpstream.MODEL);
        String other = result(tenants.createTenant("intruder-" + UUID.randomUUID(), Tenants.TENANT_SCOPES)).plaintextKey();
        given().header("Authorization", "Bearer " + other).contentType(ContentType.JSON)
                .body("{\"content\":\"hi\"}").post("/api/conversations/" + id + "/messages")
                .then().statusCode(404).contentType("application/problem+json");
        assertThat(stored(id)).isEmpty();
    }

    @Test
    void emptyContentIsA400Problem() {
        String id = conversation(FakeUpstream.MODEL);
        given().header("Authorization", "Bearer " + key).contentType(ContentType.JSON)
                .body("{\"content\":\"  \"}").post("/api/conversations/" + id + "/messages")
                .then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void theDemoModelAnswersWithoutAnyNetwork() throws Exception {
        String id = conversation("demo");
        List<SseClient.Event> events;
        try (SseClient sse = send(id, "ping")) {
            events = sse.readAll();
        }
        assertThat(events.get(events.size() - 1).name()).isEqualTo("message.end");
        assertThat(stored(id).get(1).content()).contains("demo").contains("ping");
        assertThat(FakeUpstream.allRequests()).isEmpty();
    }

    @Test
    void hostileDeltasFromTheUpstreamArriveEachAsOneIntactDeltaEvent() throws Exception {
        // as they go on the wire inside the JSON string: SSE framing, a CR, a lone surrogate, a NUL
        FakeUpstream.rawChunks = List.of("\\n\\nevent: x\\ndata: y", "carriage\\rreturn", "lone \\ud800 half",
                "nul \\u0000 byte");
        List<String> expected = List.of("\n\nevent: x\ndata: y", "carriage\rreturn", "lone \uFFFD half",
                "nul \uFFFD byte");
        String id = conversation(FakeUpstream.MODEL);
        List<SseClient.Event> events;
        try (SseClient sse = send(id, "be hostile")) {
            events = sse.readAll();
        }
        assertThat(events).extracting(SseClient.Event::name).containsExactly("message.start", "delta", "delta",
                "delta", "delta", "message.end");
        assertThat(events.subList(1, 5)).extracting(e -> new JsonObject(e.data()).getString("text"))
                .containsExactlyElementsOf(expected);
        assertThat(stored(id).get(1).content()).isEqualTo(String.join("", expected));
    }

    @Test
    void aClientThatStopsReadingIsCutOffAndTheWholeReplyIsStoredWhenTheUpstreamFinishes() throws Exception {
        String word = "w".repeat(4096) + " ";
        FakeUpstream.reply = word.repeat(2500); // 10 MB: more than the socket buffers and the stream buffer hold
        FakeUpstream.delayMs = 1;
        String id = conversation(FakeUpstream.MODEL);
        String body = new JsonObject().put("content", "talk a lot").encode();
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.setSoTimeout(60_000);
            socket.connect(new java.net.InetSocketAddress("localhost", RestAssured.port));
            socket.getOutputStream().write(("POST /api/conversations/" + id + "/messages HTTP/1.1\r\n"
                    + "Host: localhost\r\nAuthorization: Bearer " + key + "\r\nAccept: text/event-stream\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.getBytes(
                            java.nio.charset.StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            // this client never reads: the reply must still be stored, whole, once the upstream is done
            Message reply = Eventually.value(() -> stored(id), s -> s.size() == 2, Duration.ofSeconds(60)).get(1);
            assertThat(reply.finishReason()).isEqualTo("stop");
            assertThat(reply.content()).isEqualTo(FakeUpstream.reply);
            // and what it can read now is cut short: the stream ended without message.end
            byte[] all = socket.getInputStream().readAllBytes();
            String received = new String(all, java.nio.charset.StandardCharsets.UTF_8);
            assertThat(received).doesNotContain("event: message.end");
            assertThat(all.length).isLessThan(FakeUpstream.reply.length());
        }
    }
}
