package dev.parley.api;

import static dev.parley.testing.Await.result;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.parley.auth.ApiKeys;
import dev.parley.auth.Scope;
import dev.parley.auth.Tenants;
import dev.parley.store.ApiKey;
import dev.parley.store.TenantStore;
import dev.parley.store.Timestamps;
import dev.parley.store.UuidV7;
import dev.parley.testing.Eventually;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Who may do what, through the real HTTP stack, on both backends: every operation of the generated API description
 * against every kind of key (its tenant's, another tenant's, none, one without the operation's scope, a revoked and
 * an expired one), and the key lifecycle (list, create within one's own scopes, revoke, expire).
 */
public abstract class AccessControlContract {

    @Inject
    Tenants tenants;

    @Inject
    TenantStore store;

    /** A tenant's first key, plus the scope an operator grants for managing its own upstreams. */
    static final Set<Scope> WITH_UPSTREAMS = EnumSet.of(Scope.READ, Scope.CHAT, Scope.KEYS, Scope.UPSTREAMS);

    Tenants.NewTenant mine;
    Tenants.NewTenant theirs;
    String admin;

    @BeforeEach
    void tenantsAndKeys() {
        mine = result(tenants.createTenant("mine-" + UUID.randomUUID(), WITH_UPSTREAMS));
        theirs = result(tenants.createTenant("theirs-" + UUID.randomUUID(), WITH_UPSTREAMS));
        admin = result(tenants.createTenant("operator-" + UUID.randomUUID(), EnumSet.of(Scope.ADMIN))).plaintextKey();
    }

    static RequestSpecification as(String key) {
        RequestSpecification r = given().contentType(ContentType.JSON).accept(ContentType.JSON);
        return key == null ? r : r.header("Authorization", "Bearer " + key);
    }

    /** A key of {@code tenant} stored directly, in any state (revoked, expired) a test needs. */
    String key(UUID tenant, Set<String> scopes, Instant expiresAt, Instant revokedAt) {
        String plaintext = ApiKeys.generate();
        result(store.createApiKey(new ApiKey(UuidV7.next(), tenant, "test", ApiKeys.displayPrefix(plaintext),
                ApiKeys.hash(plaintext), scopes, Timestamps.now(), expiresAt, null, revokedAt)));
        return plaintext;
    }

    String conversationOf(String key) {
        return as(key).body("{\"title\":\"fixture\"}").post("/api/conversations").then().statusCode(201).extract()
                .path("id");
    }

    static final String UPSTREAM = "{\"name\":\"matrix\",\"baseUrl\":\"http://127.0.0.1:1/v1\","
            + "\"apiKey\":\"sk-matrix-0000\",\"models\":[\"matrix-model\"]}";

    String upstreamOf(String key) {
        return as(key).body(UPSTREAM).post("/api/upstreams").then().statusCode(201).extract().path("id");
    }

    String spareKeyOf(String key) {
        return as(key).body("{\"name\":\"spare\",\"scopes\":[\"read\"]}").post("/api/keys").then().statusCode(201)
                .extract().path("id");
    }

    // --- every operation x every kind of key ---------------------------------------------------------------------

    record Operation(String method, String path, String scope, JsonObject requestSchema) {
        @Override
        public String toString() {
            return method.toUpperCase() + " " + path;
        }
    }

    /** Every operation of {@code /q/openapi}, with the scope it declares. */
    static List<Operation> operations() {
        JsonObject doc = new JsonObject(given().accept(ContentType.JSON).get("/q/openapi?format=json").then()
                .statusCode(200).extract().asString());
        List<Operation> ops = new ArrayList<>();
        doc.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).forEach(op -> {
            JsonObject operation = (JsonObject) op.getValue();
            JsonArray security = operation.getJsonArray("security");
            String scope = security == null || security.isEmpty() ? null
                    : security.getJsonObject(0).getJsonArray("apiKey").getString(0);
            JsonObject schema = operation.getJsonObject("requestBody") == null ? null
                    : operation.getJsonObject("requestBody").getJsonObject("content").stream().findFirst()
                            .map(e -> ((JsonObject) e.getValue()).getJsonObject("schema")).orElse(null);
            ops.add(new Operation(op.getKey(), path.getKey(), scope, resolve(doc, schema)));
        }));
        return ops;
    }

    private static JsonObject resolve(JsonObject doc, JsonObject schema) {
        if (schema != null && schema.containsKey("$ref")) {
            String name = schema.getString("$ref").substring("#/components/schemas/".length());
            return doc.getJsonObject("components").getJsonObject("schemas").getJsonObject(name);
        }
        return schema;
    }

    /** A body that passes validation: the schema's required fields, plus what the chat operations need. */
    static String body(Operation op) {
        if (op.path().startsWith("/api/upstreams")) {
            return op.method().equals("patch") ? "{\"name\":\"matrix\"}" : UPSTREAM;
        }
        if (op.path().endsWith("/models") && op.method().equals("put")) {
            return "[\"demo\"]";
        }
        if (op.path().equals("/api/keys/{id}") && op.method().equals("patch")) {
            return "{\"limits\":{\"requestsPerMinute\":1000}}";
        }
        if (op.path().endsWith("/limits")) {
            return "{\"requestsPerMinute\":1000}";
        }
        if (op.path().equals("/v1/chat/completions")) {
            return "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
        }
        JsonObject body = new JsonObject();
        if (op.requestSchema() != null && op.requestSchema().getJsonArray("required") != null) {
            for (Object field : op.requestSchema().getJsonArray("required")) {
                body.put((String) field, "matrix-" + field);
            }
        }
        if (op.method().equals("patch") && body.isEmpty()) {
            body.put("title", "matrix");
        }
        if (op.path().equals("/api/keys") && op.method().equals("post")) {
            body.put("scopes", new JsonArray().add("read"));
        }
        return body.encode();
    }

    /** The operation's path for {@code owner}'s resources: a new conversation, a spare key, its tenant. */
    String pathFor(Operation op, String ownerKey, UUID ownerTenant) {
        Matcher m = Pattern.compile("\\{([^}]+)\\}").matcher(op.path());
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String value;
            if (op.path().startsWith("/api/conversations/")) {
                value = conversationOf(ownerKey);
            } else if (op.path().startsWith("/api/keys/")) {
                value = spareKeyOf(ownerKey);
            } else if (op.path().startsWith("/api/upstreams/")) {
                value = upstreamOf(ownerKey);
            } else if (op.path().startsWith("/api/admin/tenants/")) {
                value = ownerTenant.toString();
            } else {
                throw new AssertionError(op + ": the access matrix has no fixture for {" + m.group(1) + "}; add one");
            }
            m.appendReplacement(sb, value);
        }
        m.appendTail(sb);
        return sb.toString();
    }

    static Response call(Operation op, String key, String path) {
        RequestSpecification r = as(key);
        if (op.method().equals("post") || op.method().equals("patch") || op.method().equals("put")) {
            r = r.body(body(op));
        }
        if (op.path().endsWith("/messages") && op.method().equals("post")) {
            r = r.accept("text/event-stream");
        }
        return r.request(op.method().toUpperCase(), path);
    }

    /** The scopes a non-admin key needs to lack exactly {@code scope}. */
    static Set<String> allBut(String scope) {
        Set<String> scopes = new java.util.HashSet<>(Set.of("read", "chat", "keys", "upstreams"));
        scopes.remove(scope);
        return scopes;
    }

    @Test
    void everyOperationAnswersEveryKindOfKeyAsItShould() {
        List<Operation> ops = operations();
        assertThat(ops).as("operations in /q/openapi").hasSizeGreaterThanOrEqualTo(15);
        UUID myTenant = mine.tenant().id();
        String revoked = key(myTenant, Set.of("read", "chat", "keys", "admin"), null, Timestamps.now());
        String expired = key(myTenant, Set.of("read", "chat", "keys", "admin"), Timestamps.now().minusSeconds(60),
                null);
        List<String> wrong = new ArrayList<>();
        for (Operation op : ops) {
            if (op.scope() == null) {
                // public by declaration (@PermitAll): it answers without a key, and never with a 5xx
                Response anonymous = call(op, null, op.path());
                if (anonymous.statusCode() == 401 || anonymous.statusCode() == 403 || anonymous.statusCode() >= 500) {
                    wrong.add(op + " is public but answered " + anonymous.statusCode() + " without a key");
                }
                continue;
            }
            assertThat(op.scope()).as(op + " declares a scope").isIn("read", "chat", "keys", "upstreams", "admin");
            boolean adminOnly = op.scope().equals("admin");
            String own = adminOnly ? admin : mine.plaintextKey();
            String path = pathFor(op, mine.plaintextKey(), myTenant);
            expect(wrong, op, "no key", call(op, null, path), 401);
            expect(wrong, op, "revoked key", call(op, revoked, path), 401);
            expect(wrong, op, "expired key", call(op, expired, path), 401);
            String lacking = adminOnly ? mine.plaintextKey() : key(myTenant, allBut(op.scope()), null, null);
            expect(wrong, op, "key without " + op.scope(), call(op, lacking, path), 403);
            Response other = call(op, theirs.plaintextKey(), path);
            if (adminOnly) {
                expect(wrong, op, "another tenant's key", other, 403);
            } else if (op.path().contains("{")) {
                expect(wrong, op, "another tenant's key", other, 404);
            } else if (other.statusCode() >= 300 && !op.method().equals("post")) {
                wrong.add(op + " with another tenant's key: " + other.statusCode());
            } else if (other.statusCode() < 300 && other.asString().contains(path)) {
                wrong.add(op + " with another tenant's key showed the other tenant's data");
            }
            Response ok = call(op, own, pathFor(op, mine.plaintextKey(), myTenant));
            if (ok.statusCode() >= 300) {
                wrong.add(op + " with its own key and scope: " + ok.statusCode() + " " + ok.asString());
            }
        }
        assertThat(wrong).isEmpty();
    }

    private static void expect(List<String> wrong, Operation op, String who, Response r, int status) {
        if (r.statusCode() != status || !String.valueOf(r.contentType()).startsWith("application/problem+json")) {
            wrong.add(op + " with " + who + ": " + r.statusCode() + " " + r.contentType() + " (expected " + status
                    + " problem)");
        }
    }

    @Test
    void theListsOfOneTenantNeverShowAnothersItems() {
        String conversation = conversationOf(mine.plaintextKey());
        String key = spareKeyOf(mine.plaintextKey());
        String theirConversations = as(theirs.plaintextKey()).get("/api/conversations").then().statusCode(200)
                .extract().asString();
        String theirKeys = as(theirs.plaintextKey()).get("/api/keys").then().statusCode(200).extract().asString();
        assertThat(theirConversations).doesNotContain(conversation);
        assertThat(theirKeys).doesNotContain(key);
        problem(as(theirs.plaintextKey()).delete("/api/keys/" + key), 404, "not-found");
        as(mine.plaintextKey()).get("/api/keys").then().statusCode(200).body("items.id",
                org.hamcrest.Matchers.hasItem(key));
    }

    // --- key lifecycle -------------------------------------------------------------------------------------------

    static void problem(Response r, int status, String slug) {
        r.then().statusCode(status).contentType("application/problem+json")
                .body("type", equalTo("https://parley.dev/problems/" + slug));
    }

    @Test
    void keysAreListedWithTheirScopesAndStateButNeverTheKeyOrItsHash() {
        String created = as(mine.plaintextKey()).body("{\"name\":\"ci\",\"scopes\":[\"read\",\"chat\"],"
                + "\"expiresAt\":\"2099-01-01T00:00:00Z\"}").post("/api/keys").then().statusCode(201)
                .body("scopes", org.hamcrest.Matchers.contains("chat", "read"))
                .body("expiresAt", equalTo("2099-01-01T00:00:00Z")).extract().path("key");
        String listing = as(mine.plaintextKey()).get("/api/keys").then().statusCode(200).extract().asString();
        JsonPath list = JsonPath.from(listing);
        assertThat(list.getList("items.name")).contains("default", "ci");
        Map<String, Object> ci = list.getMap("items.find { it.name == 'ci' }");
        assertThat(ci).containsKeys("id", "prefix", "scopes", "createdAt", "lastUsedAt", "expiresAt", "revokedAt")
                .doesNotContainKeys("key", "hash", "keyHash");
        assertThat(ci.get("prefix").toString()).startsWith("pk_").hasSize(9);
        assertThat(listing).doesNotContain(created).doesNotContain(ApiKeys.hash(created))
                .doesNotContain(mine.plaintextKey());
    }

    @Test
    void aKeyGivesOnlyScopesItHasItself() {
        String reader = key(mine.tenant().id(), Set.of("read", "keys"), null, null);
        problem(as(reader).body("{\"name\":\"x\",\"scopes\":[\"chat\"]}").post("/api/keys"), 403, "forbidden");
        problem(as(mine.plaintextKey()).body("{\"name\":\"x\",\"scopes\":[\"admin\"]}").post("/api/keys"), 403,
                "forbidden");
        as(reader).body("{\"name\":\"y\",\"scopes\":[\"read\"]}").post("/api/keys").then().statusCode(201);
        as(reader).body("{\"name\":\"z\"}").post("/api/keys").then().statusCode(201)
                .body("scopes", org.hamcrest.Matchers.contains("keys", "read"));
        as(admin).body("{\"name\":\"ops\",\"scopes\":[\"admin\"]}").post("/api/keys").then().statusCode(201)
                .body("scopes", org.hamcrest.Matchers.contains("admin"));
        as(admin).body("{\"name\":\"default\"}").post("/api/keys").then().statusCode(201)
                .body("scopes", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem("admin")));
        problem(as(mine.plaintextKey()).body("{\"name\":\"x\",\"scopes\":[\"everything\"]}").post("/api/keys"), 400,
                "invalid-request");
        problem(as(mine.plaintextKey()).body("{\"name\":\"x\",\"scopes\":[]}").post("/api/keys"), 400,
                "invalid-request");
        problem(as(mine.plaintextKey()).body("{\"name\":\"x\",\"expiresAt\":\"2001-01-01T00:00:00Z\"}")
                .post("/api/keys"), 400, "invalid-request");
    }

    @Test
    void aLeakedKeyCannotOutliveItselfNorRevokeOrLimitAStrongerKey() {
        UUID tenant = mine.tenant().id();
        String expiring = key(tenant, Set.of("read", "keys"), Instant.parse("2090-01-01T00:00:00Z"), null);
        // its keys expire when it does, and no later
        as(expiring).body("{\"name\":\"copy\"}").post("/api/keys").then().statusCode(201)
                .body("expiresAt", equalTo("2090-01-01T00:00:00Z"));
        as(expiring).body("{\"name\":\"sooner\",\"expiresAt\":\"2080-01-01T00:00:00Z\"}").post("/api/keys").then()
                .statusCode(201).body("expiresAt", equalTo("2080-01-01T00:00:00Z"));
        problem(as(expiring).body("{\"name\":\"longer\",\"expiresAt\":\"2099-01-01T00:00:00Z\"}")
                .post("/api/keys"), 400, "invalid-request");
        // it manages only keys whose every scope it has: not the tenant's key with chat
        String strongId = mine.key().id().toString();
        problem(as(expiring).delete("/api/keys/" + strongId), 403, "forbidden");
        problem(as(expiring).body("{\"limits\":{\"requestsPerMinute\":0}}").patch("/api/keys/" + strongId), 403,
                "forbidden");
        as(mine.plaintextKey()).get("/api/conversations").then().statusCode(200);
        as(mine.plaintextKey()).get("/api/keys/" + strongId).then().statusCode(200)
                .body("revokedAt", org.hamcrest.Matchers.nullValue());
        String weaker = spareKeyOf(mine.plaintextKey());
        as(expiring).delete("/api/keys/" + weaker).then().statusCode(204);
    }

    @Test
    void aRevokedKeyIsRefusedAtOnceAndRevokingAgainChangesNothing() {
        String key = as(mine.plaintextKey()).body("{\"name\":\"doomed\"}").post("/api/keys").then().statusCode(201)
                .extract().path("key");
        String id = as(key).get("/api/keys").then().statusCode(200).extract().path("items.find { it.name == 'doomed' }.id");
        as(key).get("/api/conversations").then().statusCode(200); // now remembered by the cache
        as(mine.plaintextKey()).delete("/api/keys/" + id).then().statusCode(204);
        problem(as(key).get("/api/conversations"), 401, "unauthenticated");
        as(mine.plaintextKey()).delete("/api/keys/" + id).then().statusCode(204);
        String revokedAt = as(mine.plaintextKey()).get("/api/keys").then().statusCode(200)
                .extract().path("items.find { it.id == '" + id + "' }.revokedAt");
        assertThat(revokedAt).isNotNull();
        problem(as(mine.plaintextKey()).delete("/api/keys/" + UuidV7.next()), 404, "not-found");
    }

    @Test
    void aKeyStopsWorkingWhenItExpires() {
        Instant soon = Timestamps.now().plusSeconds(2);
        String key = as(mine.plaintextKey()).body("{\"name\":\"brief\",\"expiresAt\":\"" + soon + "\"}")
                .post("/api/keys").then().statusCode(201).extract().path("key");
        as(key).get("/api/conversations").then().statusCode(200); // remembered by the cache from now on
        Eventually.value(() -> as(key).get("/api/conversations").statusCode(), s -> s == 401, Duration.ofSeconds(10));
        problem(as(key).get("/api/conversations"), 401, "unauthenticated");
    }

    @Test
    void theApiDescriptionNamesEveryOperationsScopeAndItsProblems() {
        JsonObject doc = new JsonObject(given().accept(ContentType.JSON).get("/q/openapi?format=json").then()
                .statusCode(200).extract().asString());
        assertThat(doc.getJsonObject("components").getJsonObject("schemas").containsKey("Problem")).isTrue();
        for (Operation op : operations()) {
            JsonObject responses = doc.getJsonObject("paths").getJsonObject(op.path()).getJsonObject(op.method())
                    .getJsonObject("responses");
            assertThat(op.scope() != null || op.path().startsWith("/webhooks/")).as(op + " has a scope, or is a "
                    + "webhook, public by declaration").isTrue();
            for (String status : List.of("400", "401", "403", "404")) {
                assertThat(responses.getJsonObject(status).getJsonObject("content")
                        .containsKey("application/problem+json")).as(op + " " + status).isTrue();
            }
        }
    }
}
