package dev.parley.usage;

import static dev.parley.testing.Await.result;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.parley.auth.Tenants;
import dev.parley.store.MessageStore;
import dev.parley.testing.FakeUpstream;
import dev.parley.testing.SseClient;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonObject;

/**
 * Upstream protection, on both backends: with one connection and no wait queue for the only upstream of a model, a
 * second concurrent turn is refused at once with 503 {@code overloaded} and {@code Retry-After}, and nothing of it is
 * stored; once the first turn ends, turns go through again.
 */
public abstract class UpstreamOverloadContract {

    /** One pooled connection per upstream and no waiting for one. */
    static final Map<String, String> ONE_CONNECTION = Map.of("parley.upstream.max-connections", "1",
            "parley.upstream.max-wait-queue", "0", "parley.upstream.pool-wait-timeout", "2s");

    @Inject
    Tenants tenants;

    @Inject
    MessageStore messages;

    String key;
    UUID tenantId;

    @BeforeEach
    void setUp() {
        FakeUpstream.reset();
        Tenants.NewTenant tenant = result(tenants.createTenant("overload-" + UUID.randomUUID(), Tenants.TENANT_SCOPES));
        key = tenant.plaintextKey();
        tenantId = tenant.tenant().id();
    }

    @AfterEach
    void resetUpstream() {
        FakeUpstream.reset();
    }

    static RequestSpecification as(String key) {
        return given().header("Authorization", "Bearer " + key).contentType(ContentType.JSON).accept(ContentType.JSON);
    }

    @Test
    void aTurnThatFindsItsUpstreamFullIsRefusedWithOverloadedBeforeAnythingIsStored() throws Exception {
        String busy = as(key).body(new JsonObject().put("model", FakeUpstream.SOLO_MODEL).encode())
                .post("/api/conversations").then().statusCode(201).extract().path("id");
        String other = as(key).body(new JsonObject().put("model", FakeUpstream.SOLO_MODEL).encode())
                .post("/api/conversations").then().statusCode(201).extract().path("id");
        FakeUpstream.tokens = 200;
        FakeUpstream.delayMs = 10;
        try (SseClient running = SseClient.post(RestAssured.port, "/api/conversations/" + busy + "/messages", key,
                new JsonObject().put("content", "long").encode())) {
            assertThat(running.readUntil(e -> "delta".equals(e.name()))).isNotEmpty();
            Response refused = as(key).body(new JsonObject().put("content", "meanwhile").put("stream", false).encode())
                    .post("/api/conversations/" + other + "/messages");
            refused.then().statusCode(503).contentType("application/problem+json")
                    .body("type", equalTo("https://parley.dev/problems/overloaded"));
            assertThat(refused.header("Retry-After")).isNotNull();
            // the OpenAI-compatible API is refused the same way, and creates no conversation
            as(key).body("{\"model\":\"" + FakeUpstream.SOLO_MODEL + "\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"meanwhile\"}]}").post("/v1/chat/completions").then().statusCode(503)
                    .body("type", equalTo("https://parley.dev/problems/overloaded"));
            assertThat(result(messages.list(tenantId, UUID.fromString(other), null, 10)).items()).isEmpty();
            as(key).get("/api/conversations").then().statusCode(200).body("items.size()", equalTo(2));
            running.readAll();
        }
        FakeUpstream.tokens = 2;
        FakeUpstream.delayMs = 1;
        as(key).body(new JsonObject().put("content", "after").put("stream", false).encode())
                .post("/api/conversations/" + other + "/messages").then().statusCode(200);
        assertThat(result(messages.list(tenantId, UUID.fromString(other), null, 10)).items()).hasSize(2);
    }
}
