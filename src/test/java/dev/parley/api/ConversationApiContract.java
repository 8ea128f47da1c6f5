package dev.parley.api;

import java.nio.charset.StandardCharsets;

import static dev.parley.testing.Await.result;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.parley.auth.Tenants;
import dev.parley.store.Message;
import dev.parley.store.TurnStore;
import dev.parley.store.Timestamps;
import dev.parley.store.UuidV7;
import dev.parley.testing.Schema;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;

/**
 * The conversations REST API through the real HTTP stack. Written once, run on SQLite and on PostgreSQL.
 */
public abstract class ConversationApiContract {

    @Inject
    Tenants tenants;

    @Inject
    TurnStore turns;

    String key;
    UUID tenantId;

    @BeforeEach
    void createTenant() {
        Tenants.NewTenant t = result(tenants.createTenant("api-" + UUID.randomUUID(), Tenants.TENANT_SCOPES));
        key = t.plaintextKey();
        tenantId = t.tenant().id();
    }

    RequestSpecification as(String apiKey) {
        return given().header("Authorization", "Bearer " + apiKey).contentType(ContentType.JSON);
    }

    String createConversation(String apiKey, String title) {
        return as(apiKey).body("{\"title\":\"" + title + "\"}").post("/api/conversations")
                .then().statusCode(201).extract().path("id");
    }

    static ValidatableResponse problem(ValidatableResponse r, int status, String slug) {
        return r.statusCode(status)
                .contentType("application/problem+json")
                .body("status", equalTo(status))
                .body("type", equalTo("https://parley.dev/problems/" + slug))
                .body("title", notNullValue())
                .body("detail", notNullValue());
    }

    @Test
    void createReturns201WithLocationAndDefaults() {
        as(key).body("{\"title\":\"First chat\"}").post("/api/conversations").then()
                .statusCode(201)
                .header("Location", containsString("/api/conversations/"))
                .body("id", notNullValue())
                .body("title", equalTo("First chat"))
                .body("model", equalTo("demo"))
                .body("archived", equalTo(false))
                .body("createdAt", notNullValue());
    }

    @Test
    void createWithoutBodyMakesAnUntitledConversation() {
        as(key).post("/api/conversations").then()
                .statusCode(201).body("title", nullValue()).body("model", equalTo("demo"));
    }

    @Test
    void getReturnsTheConversation() {
        String id = createConversation(key, "Fetch me");
        as(key).get("/api/conversations/" + id).then().statusCode(200)
                .body("id", equalTo(id)).body("title", equalTo("Fetch me"));
    }

    @Test
    void listPagesNewestFirstWithAnOpaqueCursor() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(createConversation(key, "c" + i));
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            RequestSpecification req = as(key).queryParam("limit", 2);
            if (cursor != null) {
                req.queryParam("cursor", cursor);
            }
            var page = req.get("/api/conversations").then().statusCode(200).extract().jsonPath();
            seen.addAll(page.getList("items.id"));
            cursor = page.getString("nextCursor");
        } while (cursor != null);
        java.util.Collections.reverse(ids);
        assertThat(seen).containsExactlyElementsOf(ids);
    }

    @Test
    void patchRenamesAndArchives() {
        String id = createConversation(key, "Old name");
        as(key).body("{\"title\":\"New name\"}").patch("/api/conversations/" + id).then()
                .statusCode(200).body("title", equalTo("New name")).body("archived", equalTo(false));
        as(key).body("{\"archived\":true}").patch("/api/conversations/" + id).then()
                .statusCode(200).body("title", equalTo("New name")).body("archived", equalTo(true));

        as(key).get("/api/conversations").then().statusCode(200).body("items.id", org.hamcrest.Matchers.not(
                hasItem(id)));
        as(key).queryParam("archived", true).get("/api/conversations").then().statusCode(200)
                .body("items.id", hasItem(id));
    }

    @Test
    void metadataIsAJsonObjectKeptAsSentAndReplacedByPatch() {
        String metadata = "{\"tags\":[\"café\",\"🚀\"],\"ui\":{\"pinned\":true,\"order\":1.5,\"nested\":{\"deep\":[1,{\"x\":null}]}}}";
        String created = as(key).body("{\"title\":\"meta\",\"metadata\":" + metadata + "}")
                .post("/api/conversations").then().statusCode(201).body("metadata.tags[1]", equalTo("🚀"))
                .extract().asString();
        assertThat(created).as("emoji are sent as UTF-8, not as escaped surrogate pairs").contains("🚀");
        String id = io.restassured.path.json.JsonPath.from(created).getString("id");
        var got = as(key).get("/api/conversations/" + id).then().statusCode(200).extract().jsonPath();
        assertThat(got.getMap("metadata")).isEqualTo(io.restassured.path.json.JsonPath.from(metadata).getMap(""));

        as(key).body("{\"metadata\":{\"tags\":[]}}").patch("/api/conversations/" + id).then().statusCode(200)
                .body("metadata.tags.size()", equalTo(0)).body("metadata.ui", nullValue()).body("title", equalTo("meta"));
        as(key).body("{\"title\":\"renamed\"}").patch("/api/conversations/" + id).then().statusCode(200)
                .body("metadata.tags.size()", equalTo(0));
        String plain = createConversation(key, "none");
        as(key).get("/api/conversations/" + plain).then().statusCode(200).body("metadata", nullValue());
    }

    @Test
    void metadataThatIsNotAnObjectOrTooLargeIsRejectedAndNothingIsStored() {
        problem(as(key).body("{\"title\":\"bad\",\"metadata\":[1,2]}").post("/api/conversations").then(), 400,
                "invalid-request");
        String big = "{\"title\":\"big\",\"metadata\":{\"x\":\"" + "a".repeat(20_000) + "\"}}";
        problem(as(key).body(big).post("/api/conversations").then(), 400, "invalid-request");
        as(key).get("/api/conversations").then().statusCode(200).body("items.size()", equalTo(0));
        String id = createConversation(key, "keep");
        problem(as(key).body("{\"metadata\":null}").patch("/api/conversations/" + id).then(), 400,
                "invalid-request");
    }

    @Test
    void patchWithNothingToChangeIsRejected() {
        String id = createConversation(key, "x");
        problem(as(key).body("{}").patch("/api/conversations/" + id).then(), 400, "invalid-request");
    }

    @Test
    void deleteReturns204AndTheConversationIsGone() {
        String id = createConversation(key, "Bye");
        as(key).delete("/api/conversations/" + id).then().statusCode(204);
        problem(as(key).get("/api/conversations/" + id).then(), 404, "not-found");
        problem(as(key).delete("/api/conversations/" + id).then(), 404, "not-found");
    }

    @Test
    void messagesArePagedOldestFirst() {
        String id = createConversation(key, "With messages");
        var base = Timestamps.now();
        for (int i = 0; i < 3; i++) {
            result(turns.start(new TurnStore.TurnStart(null, java.util.List.of(new Message(UuidV7.next(), tenantId, UUID.fromString(id),
                    i % 2 == 0 ? Message.Role.USER : Message.Role.ASSISTANT, "m" + i, 1, 2, null,
                    base.plusMillis(i))), null)));
        }
        var first = as(key).queryParam("limit", 2).get("/api/conversations/" + id + "/messages").then()
                .statusCode(200).body("items.content", org.hamcrest.Matchers.contains("m0", "m1"))
                .body("items[0].role", equalTo("user")).body("items[1].role", equalTo("assistant"))
                .body("items[0].tokensIn", equalTo(1)).body("items[0].tokensOut", equalTo(2))
                .extract().jsonPath();
        as(key).queryParam("limit", 2).queryParam("cursor", first.getString("nextCursor"))
                .get("/api/conversations/" + id + "/messages").then()
                .statusCode(200).body("items.content", org.hamcrest.Matchers.contains("m2"))
                .body("nextCursor", nullValue());
    }

    @Test
    void missingKeyIsA401ProblemWithChallenge() {
        problem(given().get("/api/conversations").then(), 401, "unauthenticated")
                .header("WWW-Authenticate", startsWith("Bearer"));
    }

    @Test
    void unknownKeyIsA401Problem() {
        problem(as("pk_not-a-real-key-at-all").get("/api/conversations").then(), 401, "unauthenticated");
    }

    @Test
    void tooLongTitleIsA400ProblemNamingTheField() {
        problem(as(key).body("{\"title\":\"" + "t".repeat(201) + "\"}").post("/api/conversations").then(), 400,
                "invalid-request").body("errors[0].field", equalTo("title"));
    }

    @Test
    void malformedJsonIsA400Problem() {
        problem(as(key).body("{\"title\": ").post("/api/conversations").then(), 400, "malformed-json");
    }

    @Test
    void badPagingParametersAre400Problems() {
        problem(as(key).queryParam("limit", 0).get("/api/conversations").then(), 400, "invalid-request");
        problem(as(key).queryParam("limit", "lots").get("/api/conversations").then(), 400, "invalid-request");
        problem(as(key).queryParam("cursor", "not-a-cursor!").get("/api/conversations").then(), 400,
                "invalid-request");
    }

    @Test
    void unknownAndMalformedIdsAre404Problems() {
        problem(as(key).get("/api/conversations/" + UuidV7.next()).then(), 404, "not-found");
        problem(as(key).get("/api/conversations/not-a-uuid").then(), 404, "not-found");
        problem(as(key).get("/api/conversations/" + UuidV7.next() + "/messages").then(), 404, "not-found");
    }

    @Test
    void textThatNoDatabaseStoresIsRefusedTheSameOnBothBackends() {
        String id = createConversation(key, "clean");
        // JSON escapes for a NUL and for a lone surrogate, in every kind of text field
        for (String body : List.of("{\"title\":\"a\\u0000b\"}", "{\"title\":\"half \\ud800\"}",
                "{\"metadata\":{\"k\":\"v\\u0000\"}}", "{\"metadata\":{\"k\\u0000\":1}}",
                "{\"metadata\":{\"list\":[\"\\udc00\"]}}")) {
            problem(as(key).body(body).post("/api/conversations").then(), 400, "invalid-request");
            problem(as(key).body(body).patch("/api/conversations/" + id).then(), 400, "invalid-request");
        }
        problem(as(key).body("{\"content\":\"nul \\u0000\"}").post("/api/conversations/" + id + "/messages")
                .then(), 400, "invalid-request");
        problem(as(key).body("{\"model\":\"" + dev.parley.testing.FakeUpstream.MODEL + "\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"nul \\u0000\"}]}").post("/v1/chat/completions").then(), 400, "invalid-request");
        as(key).get("/api/conversations/" + id).then().statusCode(200).body("title", equalTo("clean"));
        as(key).get("/api/conversations/" + id + "/messages").then().statusCode(200).body("items.size()", equalTo(0));
        as(key).get("/api/conversations").then().statusCode(200).body("items.size()", equalTo(1));
    }

    @Test
    void oversizeBodyIsA413Problem() {
        String huge = "{\"title\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}";
        problem(as(key).body(huge).post("/api/conversations").then(), 413, "payload-too-large");
    }

    @Test
    void aChunkedBodyOverTheLimitIsRefusedWith413AndStoresNothing() throws Exception {
        // no Content-Length: the body arrives in chunks, and the server's own limit (PARLEY_MAX_BODY_SIZE) stops it
        byte[] huge = ("{\"title\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:"
                + io.restassured.RestAssured.port + "/api/conversations")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(huge)))
                .build();
        int status;
        try {
            status = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build()
                    .send(request, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException closed) {
            status = 413; // the server may close the connection while the client still sends
        }
        assertThat(status).isEqualTo(413);
        as(key).get("/api/conversations").then().statusCode(200).body("items.size()", equalTo(0));
    }

    @Test
    void tenantsCannotSeeOrTouchEachOthersConversations() {
        String other = result(tenants.createTenant("other-" + UUID.randomUUID(), Tenants.TENANT_SCOPES)).plaintextKey();
        String id = createConversation(key, "Private");

        problem(as(other).get("/api/conversations/" + id).then(), 404, "not-found");
        problem(as(other).get("/api/conversations/" + id + "/messages").then(), 404, "not-found");
        problem(as(other).body("{\"title\":\"mine now\"}").patch("/api/conversations/" + id).then(), 404,
                "not-found");
        problem(as(other).delete("/api/conversations/" + id).then(), 404, "not-found");
        as(other).get("/api/conversations").then().statusCode(200)
                .body("items.id", org.hamcrest.Matchers.not(hasItem(id)));

        as(key).get("/api/conversations/" + id).then().statusCode(200).body("title", equalTo("Private"));
    }

    @Test
    void onlyAdminKeysCreateTenantsAndTheNewKeyWorks() {
        problem(as(key).body("{\"name\":\"acme\"}").post("/api/admin/tenants").then(), 403, "forbidden");

        String admin = result(tenants.createTenant("admin-" + UUID.randomUUID(), java.util.Set.of(dev.parley.auth.Scope.ADMIN))).plaintextKey();
        String newKey = as(admin).body("{\"name\":\"acme\"}").post("/api/admin/tenants").then()
                .statusCode(201).body("tenant.name", equalTo("acme")).body("apiKey.scopes", org.hamcrest.Matchers.contains("chat", "keys", "read"))
                .extract().path("apiKey.key");
        assertThat(newKey).startsWith("pk_");
        as(newKey).get("/api/conversations").then().statusCode(200).body("items.size()", equalTo(0));
    }

    @Test
    void aTenantCanMintAnotherKeyForItself() {
        String id = createConversation(key, "shared");
        String second = as(key).body("{\"name\":\"ci\"}").post("/api/keys").then().statusCode(201)
                .body("tenantId", equalTo(tenantId.toString())).extract().path("key");
        as(second).get("/api/conversations/" + id).then().statusCode(200);
    }

    @Test
    void readinessReportsTheActiveBackendAndSchema() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'database' }.data.backend", equalTo(backend()))
                .body("checks.find { it.name == 'database' }.data.schemaVersion", equalTo(Schema.latestVersion()));
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void metricsArePrometheusTextWithHttpAndPoolMetrics() {
        as(key).get("/api/conversations").then().statusCode(200);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("http_server_requests_seconds_count");
        assertThat(metrics).contains(backend().equals("sqlite") ? "agroal_active_count" : "sql_pool_active");
    }

    @Test
    void diagnosticsAreForAdminKeysOnly() {
        problem(as(key).get("/q/parley/diagnostics").then(), 403, "forbidden");
        problem(given().get("/q/parley/diagnostics").then(), 401, "unauthenticated");
        String admin = result(tenants.createTenant("ops-" + UUID.randomUUID(), java.util.Set.of(dev.parley.auth.Scope.ADMIN))).plaintextKey();
        as(admin).get("/q/parley/diagnostics").then().statusCode(200)
                .body("backend", equalTo(backend()))
                .body("schemaVersion", equalTo(Schema.latestVersion()))
                .body("migrated", equalTo(true))
                .body("writes.stalled", nullValue())
                .body(backend().equals("sqlite") ? "sqlite.writer.running" : "postgresql.pool", notNullValue());
    }

    abstract String backend();
}
