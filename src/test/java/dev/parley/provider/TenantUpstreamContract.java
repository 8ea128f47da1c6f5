package dev.parley.provider;

import static dev.parley.testing.Await.result;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.parley.auth.Scope;
import dev.parley.auth.Tenants;
import dev.parley.store.Backend;
import dev.parley.testing.DatabaseFingerprint;
import dev.parley.testing.FakeUpstream;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Tenant-managed model access through the real HTTP stack, on both backends: a tenant's own upstream gets its turns
 * with its key and no other tenant's, keys are never shown, the operator's allowlist limits the operator's models,
 * and a stored key that no longer decrypts fails that upstream's turns and nothing else.
 */
public abstract class TenantUpstreamContract {

    static final String OWN_MODEL = "byok-model";
    static final String TENANT_KEY = "sk-tenant-" + UUID.randomUUID().toString().replace("-", "");

    @Inject
    Tenants tenants;

    @Inject
    Backend backend;

    @Inject
    ModelAccess access;

    Tenants.NewTenant mine;
    Tenants.NewTenant theirs;
    String admin;

    @BeforeEach
    void tenants() {
        FakeUpstream.reset();
        FakeUpstream.TENANT.requiredKey = TENANT_KEY;
        EnumSet<Scope> scopes = EnumSet.of(Scope.READ, Scope.CHAT, Scope.KEYS, Scope.UPSTREAMS);
        mine = result(tenants.createTenant("byok-" + UUID.randomUUID(), scopes));
        theirs = result(tenants.createTenant("other-" + UUID.randomUUID(), scopes));
        admin = result(tenants.createTenant("operator-" + UUID.randomUUID(), EnumSet.of(Scope.ADMIN))).plaintextKey();
    }

    @AfterEach
    void resetUpstreams() {
        FakeUpstream.reset();
    }

    static RequestSpecification as(String key) {
        return given().contentType(ContentType.JSON).accept(ContentType.JSON).header("Authorization", "Bearer " + key);
    }

    static String upstream(String name, String apiKey, String... models) {
        return new JsonObject().put("name", name).put("baseUrl", FakeUpstream.TENANT.baseUrl()).put("apiKey", apiKey)
                .put("models", new JsonArray(List.of((Object[]) models))).encode();
    }

    String create(String key, String body) {
        return as(key).body(body).post("/api/upstreams").then().statusCode(201).extract().path("id");
    }

    static Response complete(String key, String model) {
        return as(key).body(new JsonObject().put("model", model).put("messages", new JsonArray()
                .add(new JsonObject().put("role", "user").put("content", "hello"))).encode())
                .post("/v1/chat/completions");
    }

    static List<String> models(String key) {
        return as(key).get("/v1/models").then().statusCode(200).extract().path("data.id");
    }

    @Test
    void aTenantsUpstreamGetsItsTurnsWithTheTenantsKey() {
        String id = create(mine.plaintextKey(), upstream("mine", TENANT_KEY, OWN_MODEL));
        complete(mine.plaintextKey(), OWN_MODEL).then().statusCode(200)
                .body("choices[0].message.content", equalTo(FakeUpstream.expectedText(5)))
                .body("model", equalTo(OWN_MODEL));
        assertThat(FakeUpstream.TENANT.authorizations).containsExactly("Bearer " + TENANT_KEY);
        assertThat(FakeUpstream.TENANT.requests).singleElement()
                .satisfies(r -> assertThat(r.getString("model")).isEqualTo(OWN_MODEL));
        assertThat(FakeUpstream.FIRST.requests).isEmpty();
        assertThat(FakeUpstream.SECOND.requests).isEmpty();
        // the conversation API routes the same way
        String conversation = as(mine.plaintextKey()).body("{\"model\":\"" + OWN_MODEL + "\"}")
                .post("/api/conversations").then().statusCode(201).extract().path("id");
        as(mine.plaintextKey()).body("{\"content\":\"hi\",\"stream\":false}")
                .post("/api/conversations/" + conversation + "/messages").then().statusCode(200);
        assertThat(FakeUpstream.TENANT.authorizations).containsOnly("Bearer " + TENANT_KEY).hasSize(2);
        assertThat(id).isNotBlank();
    }

    @Test
    void noOtherTenantSeesOrReachesATenantsUpstream() {
        String id = create(mine.plaintextKey(), upstream("mine", TENANT_KEY, OWN_MODEL));
        String other = theirs.plaintextKey();
        as(other).get("/api/upstreams").then().statusCode(200).body("items", empty());
        as(other).get("/api/upstreams/" + id).then().statusCode(404);
        as(other).body("{\"name\":\"stolen\"}").patch("/api/upstreams/" + id).then().statusCode(404);
        as(other).delete("/api/upstreams/" + id).then().statusCode(404);
        complete(other, OWN_MODEL).then().statusCode(400)
                .body("type", equalTo("https://parley.dev/problems/unknown-model"));
        as(other).body("{\"model\":\"" + OWN_MODEL + "\"}").post("/api/conversations").then().statusCode(400);
        assertThat(models(other)).doesNotContain(OWN_MODEL);
        assertThat(models(mine.plaintextKey())).contains(OWN_MODEL);
        assertThat(FakeUpstream.TENANT.requests).isEmpty();
        // and the owner's upstream is unchanged
        as(mine.plaintextKey()).get("/api/upstreams/" + id).then().statusCode(200).body("name", equalTo("mine"));
    }

    @Test
    void theApiNeverShowsAnUpstreamKeyBeyondItsLastFourCharacters() {
        String created = as(mine.plaintextKey()).body(upstream("mine", TENANT_KEY, OWN_MODEL)).post("/api/upstreams")
                .then().statusCode(201).body("apiKeyLast4", equalTo(TENANT_KEY.substring(TENANT_KEY.length() - 4)))
                .extract().asString();
        String id = new JsonObject(created).getString("id");
        String listed = as(mine.plaintextKey()).get("/api/upstreams").then().statusCode(200)
                .body("items.id", contains(id)).extract().asString();
        String one = as(mine.plaintextKey()).get("/api/upstreams/" + id).then().statusCode(200).extract().asString();
        String newKey = "sk-rotated-" + UUID.randomUUID();
        String changed = as(mine.plaintextKey()).body("{\"apiKey\":\"" + newKey + "\"}").patch("/api/upstreams/" + id)
                .then().statusCode(200).body("apiKeyLast4", equalTo(newKey.substring(newKey.length() - 4)))
                .body("models", contains(OWN_MODEL)).extract().asString();
        for (String body : List.of(created, listed, one, changed)) {
            assertThat(body).doesNotContain(TENANT_KEY).doesNotContain(newKey).doesNotContain("v1:");
        }
        FakeUpstream.TENANT.requiredKey = newKey;
        complete(mine.plaintextKey(), OWN_MODEL).then().statusCode(200);
        assertThat(FakeUpstream.TENANT.authorizations).containsExactly("Bearer " + newKey);
        as(mine.plaintextKey()).delete("/api/upstreams/" + id).then().statusCode(204);
        complete(mine.plaintextKey(), OWN_MODEL).then().statusCode(400);
    }

    @Test
    void failoverBetweenATenantsUpstreamsFollowsTheOperatorsRules() {
        FakeUpstream.TENANT.requiredKey = null;
        create(mine.plaintextKey(), upstream("down", TENANT_KEY, OWN_MODEL).replace(FakeUpstream.TENANT.baseUrl(),
                "http://127.0.0.1:1/v1"));
        create(mine.plaintextKey(), upstream("up", TENANT_KEY, OWN_MODEL));
        for (int i = 0; i < 4; i++) {
            complete(mine.plaintextKey(), OWN_MODEL).then().statusCode(200);
        }
        assertThat(FakeUpstream.TENANT.completed.get()).isEqualTo(4);
    }

    @Test
    void anAllowlistLimitsATenantToTheOperatorModelsItNames() {
        String tenant = mine.tenant().id().toString();
        create(mine.plaintextKey(), upstream("mine", TENANT_KEY, OWN_MODEL));
        as(admin).get("/api/admin/tenants/" + tenant + "/models").then().statusCode(200).body("models", nullValue());
        as(admin).body("[\"" + FakeUpstream.MODEL + "\"]").put("/api/admin/tenants/" + tenant + "/models").then()
                .statusCode(200).body("models", contains(FakeUpstream.MODEL));
        Map<String, String> before = DatabaseFingerprint.of(backend.dialect());
        complete(mine.plaintextKey(), FakeUpstream.SOLO_MODEL).then().statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("https://parley.dev/problems/invalid-request"))
                .body("detail", containsString("allowed models: " + OWN_MODEL + ", " + FakeUpstream.MODEL));
        as(mine.plaintextKey()).body("{\"model\":\"demo\"}").post("/api/conversations").then().statusCode(400)
                .body("type", equalTo("https://parley.dev/problems/invalid-request"));
        assertThat(DatabaseFingerprint.of(backend.dialect())).isEqualTo(before);
        assertThat(models(mine.plaintextKey())).containsExactly(OWN_MODEL, FakeUpstream.MODEL);
        complete(mine.plaintextKey(), FakeUpstream.MODEL).then().statusCode(200);
        complete(mine.plaintextKey(), OWN_MODEL).then().statusCode(200);
        // a request that names no model gets the first model the tenant may use
        as(mine.plaintextKey()).body("{}").post("/api/conversations").then().statusCode(201)
                .body("model", equalTo(OWN_MODEL));
        // other tenants keep every operator model
        assertThat(models(theirs.plaintextKey())).contains("demo", FakeUpstream.MODEL, FakeUpstream.SOLO_MODEL)
                .doesNotContain(OWN_MODEL);
        as(admin).body("null").put("/api/admin/tenants/" + tenant + "/models").then().statusCode(200)
                .body("models", nullValue());
        complete(mine.plaintextKey(), FakeUpstream.SOLO_MODEL).then().statusCode(200);
        as(admin).body("[]").put("/api/admin/tenants/" + tenant + "/models").then().statusCode(200);
        assertThat(models(mine.plaintextKey())).containsExactly(OWN_MODEL);
    }

    @Test
    void onlyAdminsSetAllowlistsAndBadOnesAreProblems() {
        String tenant = mine.tenant().id().toString();
        as(mine.plaintextKey()).body("[\"demo\"]").put("/api/admin/tenants/" + tenant + "/models").then()
                .statusCode(403);
        as(admin).body("{\"models\":[]}").put("/api/admin/tenants/" + tenant + "/models").then().statusCode(400);
        as(admin).body("[\"a,b\"]").put("/api/admin/tenants/" + tenant + "/models").then().statusCode(400);
        as(admin).body("[1]").put("/api/admin/tenants/" + tenant + "/models").then().statusCode(400);
        as(admin).body("[\"demo\"]").put("/api/admin/tenants/" + UUID.randomUUID() + "/models").then()
                .statusCode(404);
        as(admin).get("/api/admin/tenants/" + tenant + "/models").then().statusCode(200).body("models", nullValue());
    }

    @Test
    void invalidUpstreamsAreRefusedWithProblemsAndStoreNothing() {
        Map<String, String> before = DatabaseFingerprint.of(backend.dialect());
        String url = FakeUpstream.TENANT.baseUrl();
        for (String body : List.of(
                upstream("x", TENANT_KEY, OWN_MODEL).replace(url, "ftp://example.com/v1"),
                upstream("x", TENANT_KEY, OWN_MODEL).replace(url, "http://user:secret@example.com/v1"),
                upstream("x", TENANT_KEY, OWN_MODEL).replace(url, "not a url"),
                upstream("x", TENANT_KEY, "a,b"),
                upstream("x", TENANT_KEY, "*"),
                upstream("x", TENANT_KEY),
                upstream("x", "has space", OWN_MODEL),
                "{\"name\":\"x\",\"baseUrl\":\"" + url + "\",\"models\":[\"m\"]}",
                "{\"name\":\"x\",\"baseUrl\":\"" + url + "\",\"apiKey\":\"k\",\"models\":\"m\"}")) {
            as(mine.plaintextKey()).body(body).post("/api/upstreams").then().statusCode(400)
                    .contentType("application/problem+json");
        }
        as(theirs.plaintextKey().replace("pk_", "pk_x")).get("/api/upstreams").then().statusCode(401);
        assertThat(DatabaseFingerprint.of(backend.dialect())).isEqualTo(before);
        // a key without the upstreams scope may not manage upstreams
        String plain = result(tenants.createTenant("plain-" + UUID.randomUUID(), Tenants.TENANT_SCOPES))
                .plaintextKey();
        as(plain).body(upstream("x", TENANT_KEY, OWN_MODEL)).post("/api/upstreams").then().statusCode(403)
                .body("detail", containsString("upstreams"));
    }

    @Test
    void aTamperedKeyFailsThatUpstreamsTurnsWithAClearProblemAndNothingElse() throws Exception {
        String tampered = create(mine.plaintextKey(), upstream("tampered", TENANT_KEY, OWN_MODEL));
        create(mine.plaintextKey(), upstream("intact", TENANT_KEY, "other-own-model"));
        String theirsId = create(theirs.plaintextKey(), upstream("theirs", TENANT_KEY, OWN_MODEL));
        try (Connection c = backend.dialect().connect(false)) {
            String sealed;
            try (var ps = c.prepareStatement("SELECT api_key FROM tenant_upstreams WHERE id = ?")) {
                backend.dialect().bind(ps, 1, dev.parley.store.ColumnType.ID, UUID.fromString(tampered));
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    sealed = rs.getString(1);
                }
            }
            // flip one bit of the ciphertext, keeping it valid base64 of the same length
            int at = sealed.length() - 8;
            char flipped = sealed.charAt(at) == 'A' ? 'B' : 'A';
            try (PreparedStatement ps = c.prepareStatement("UPDATE tenant_upstreams SET api_key = ? WHERE id = ?")) {
                ps.setString(1, sealed.substring(0, at) + flipped + sealed.substring(at + 1));
                backend.dialect().bind(ps, 2, dev.parley.store.ColumnType.ID, UUID.fromString(tampered));
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
        }
        access.forget(mine.tenant().id()); // as the cache time would, without waiting for it
        Map<String, String> before = DatabaseFingerprint.of(backend.dialect());
        complete(mine.plaintextKey(), OWN_MODEL).then().statusCode(502).contentType("application/problem+json")
                .body("type", equalTo("https://parley.dev/problems/upstream-key-unreadable"))
                .body("detail", containsString(tampered)).body("detail", containsString("tampered"))
                .body("detail", org.hamcrest.Matchers.not(containsString(TENANT_KEY)));
        as(mine.plaintextKey()).body("{\"model\":\"" + OWN_MODEL + "\"}").post("/api/conversations").then()
                .statusCode(502);
        assertThat(DatabaseFingerprint.of(backend.dialect())).as("a refused turn stores nothing").isEqualTo(before);
        assertThat(FakeUpstream.TENANT.requests).isEmpty();
        // everything else still works: the tenant's other upstream, the operator's models, another tenant's upstream
        complete(mine.plaintextKey(), "other-own-model").then().statusCode(200);
        complete(mine.plaintextKey(), FakeUpstream.MODEL).then().statusCode(200);
        complete(theirs.plaintextKey(), OWN_MODEL).then().statusCode(200);
        as(mine.plaintextKey()).get("/api/upstreams").then().statusCode(200).body("items.size()", equalTo(2));
        assertThat(models(mine.plaintextKey())).contains(OWN_MODEL, "other-own-model");
        // setting the key again repairs it
        as(mine.plaintextKey()).body("{\"apiKey\":\"" + TENANT_KEY + "\"}").patch("/api/upstreams/" + tampered)
                .then().statusCode(200);
        complete(mine.plaintextKey(), OWN_MODEL).then().statusCode(200);
        assertThat(theirsId).isNotEqualTo(tampered);
    }

    @Test
    void theStoredKeyIsSealedAndBoundToItsRow() throws Exception {
        String first = create(mine.plaintextKey(), upstream("first", TENANT_KEY, OWN_MODEL));
        String second = create(mine.plaintextKey(), upstream("second", "sk-second-key-0000", "second-model"));
        String firstSealed;
        try (Connection c = backend.dialect().connect(false)) {
            try (var ps = c.prepareStatement("SELECT api_key, key_id, api_key_hint FROM tenant_upstreams "
                    + "WHERE id = ?")) {
                backend.dialect().bind(ps, 1, dev.parley.store.ColumnType.ID, UUID.fromString(first));
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    firstSealed = rs.getString(1);
                    assertThat(firstSealed).startsWith("v1:" + rs.getString(2) + ":").doesNotContain(TENANT_KEY);
                    assertThat(rs.getString(3)).isEqualTo(TENANT_KEY.substring(TENANT_KEY.length() - 4));
                }
            }
            // the first row's value copied into the second row does not open there
            try (PreparedStatement ps = c.prepareStatement("UPDATE tenant_upstreams SET api_key = ? WHERE id = ?")) {
                ps.setString(1, firstSealed);
                backend.dialect().bind(ps, 2, dev.parley.store.ColumnType.ID, UUID.fromString(second));
                ps.executeUpdate();
            }
        }
        access.forget(mine.tenant().id());
        complete(mine.plaintextKey(), "second-model").then().statusCode(502)
                .body("type", equalTo("https://parley.dev/problems/upstream-key-unreadable"));
        complete(mine.plaintextKey(), OWN_MODEL).then().statusCode(200);
    }
}
