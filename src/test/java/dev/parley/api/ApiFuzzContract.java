package dev.parley.api;

import static dev.parley.testing.Await.result;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.parley.auth.Tenants;
import dev.parley.store.Backend;
import dev.parley.testing.DatabaseFingerprint;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonArray;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.sessions.JqwikSession;

/**
 * Property-based fuzzing of every operation the generated API description lists (a new endpoint is fuzzed without
 * editing this test), on both backends: malformed JSON, wrong types, huge numbers, invalid UTF-8, NUL and lone
 * surrogates, 1 MB strings, foreign and malformed ids, forged cursors and limits. Never a 5xx, always problem+json
 * for an error, and a rejected request changes nothing in the database (row counts and checksums).
 */
public abstract class ApiFuzzContract {

    private static final int CASES_PER_OPERATION = 40;
    /** Not the application's mapper, which (rightly) refuses documents with a NUL. */
    private static final com.fasterxml.jackson.databind.ObjectMapper PLAIN_JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    @Inject
    Tenants tenants;

    @Inject
    Backend backend;

    /** One generated request: where its hostile part is, for the failure message. */
    record Attempt(String what, String path, Map<String, String> query, byte[] body) {
    }

    private static final List<String> HOSTILE_STRINGS = List.of("", " ", "\\u0000", "nul\\u0000in", "\\ud800",
            "\\udfff\\ud800", "\\\"", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "NEAR(", ":*", "&|!",
            "\\n\\r\\t", "🚀", "x".repeat(10_000));

    private static final String ONE_MB = "\"" + "y".repeat(1_000_000) + "\"";
    private static final String OVER_THE_LIMIT = "\"" + "y".repeat(1_100_000) + "\"";

    private static Arbitrary<String> jsonValue() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.of(HOSTILE_STRINGS).map(s -> "\"" + s + "\"")),
                net.jqwik.api.Tuple.of(4, Arbitraries.of("1e400", "-1e400", "99999999999999999999999999", "-0",
                        "0.1e-400", "NaN", "true", "null", "[]", "{}", "[[[[[[[[]]]]]]]]", "{\"a\":{\"b\":{\"c\":{}}}}",
                        "[\"a\",1,null]")),
                net.jqwik.api.Tuple.of(4, Arbitraries.strings().ofMaxLength(40).map(s -> new JsonArray().add(s)
                        .encode())),
                net.jqwik.api.Tuple.of(4, Arbitraries.integers().map(String::valueOf)),
                // a 1 MB string that fits under the 1 MiB body limit, and one that does not: rarer, they are slow
                net.jqwik.api.Tuple.of(1, Arbitraries.just(ONE_MB)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(OVER_THE_LIMIT)));
    }

    /** A body: mostly a JSON object with known and unknown fields set to hostile values, sometimes not JSON at all. */
    private static Arbitrary<byte[]> body(List<String> fields) {
        Arbitrary<String> field = fields.isEmpty() ? Arbitraries.of("title", "content", "name", "x")
                : Arbitraries.oneOf(Arbitraries.of(fields), Arbitraries.of("unknown", "__proto__", "\\u0000"));
        Arbitrary<byte[]> object = Arbitraries.maps(field, jsonValue()).ofMaxSize(4).map(m -> {
            StringBuilder sb = new StringBuilder("{");
            m.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
            return sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
        });
        Arbitrary<byte[]> broken = Arbitraries.of("{", "{\"title\":", "[1,2", "nul\u0000l", "{\"a\":1}}", "]",
                "{\"title\":\"unterminated").map(s -> s.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> invalidUtf8 = Arbitraries.of(new byte[] { '{', '"', 't', 'i', 't', 'l', 'e', '"', ':', '"',
                (byte) 0xC3, (byte) 0x28, '"', '}' }, new byte[] { (byte) 0xFF, (byte) 0xFE, 0, 0 },
                new byte[] { '{', '"', 'c', 'o', 'n', 't', 'e', 'n', 't', '"', ':', '"', (byte) 0xED, (byte) 0xA0,
                        (byte) 0x80, '"', '}' });
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, object), net.jqwik.api.Tuple.of(2, broken),
                net.jqwik.api.Tuple.of(2, invalidUtf8), net.jqwik.api.Tuple.of(1, random));
    }

    private static Arbitrary<String> idFor(String foreign) {
        return Arbitraries.oneOf(Arbitraries.just(foreign), Arbitraries.just(UUID.randomUUID().toString()),
                Arbitraries.of("not-a-uuid", "%00", "..%2F..%2Fetc%2Fpasswd", "00000000-0000-0000-0000-00000000000g",
                        "x".repeat(2000), "%F0%9F%9A%80"));
    }

    private static Arbitrary<Map<String, String>> query(String foreignCursor) {
        Arbitrary<String> name = Arbitraries.of("limit", "cursor", "archived", "from", "to", "groupBy", "q");
        Arbitrary<String> value = Arbitraries.oneOf(Arbitraries.of("0", "-1", "101", "99999999999999999999",
                "abc", "", "true", "TRUE", "%00", "2026-13-45", foreignCursor, "AAAA",
                Base64.getUrlEncoder().encodeToString(new byte[24]), "*".repeat(5000)),
                Arbitraries.strings().ofMaxLength(30));
        return Arbitraries.maps(name, value).ofMaxSize(3);
    }

    @Test
    void noOperationAnswersA5xxAndARejectedRequestChangesNothing() {
        Tenants.NewTenant mine = result(tenants.createTenant("fuzz-" + UUID.randomUUID(),
                AccessControlContract.WITH_UPSTREAMS));
        Tenants.NewTenant theirs = result(tenants.createTenant("fuzz-other-" + UUID.randomUUID(),
                Tenants.TENANT_SCOPES));
        String admin = result(tenants.createTenant("fuzz-admin-" + UUID.randomUUID(),
                java.util.Set.of(dev.parley.auth.Scope.ADMIN))).plaintextKey();
        String foreignConversation = AccessControlContract.as(theirs.plaintextKey()).body("{\"title\":\"theirs\"}")
                .post("/api/conversations").then().statusCode(201).extract().path("id");
        for (int i = 0; i < 3; i++) {
            AccessControlContract.as(theirs.plaintextKey()).body("{}").post("/api/conversations").then()
                    .statusCode(201);
        }
        String foreignCursor = AccessControlContract.as(theirs.plaintextKey()).queryParam("limit", 1)
                .get("/api/conversations").then().statusCode(200).extract().path("nextCursor");
        List<AccessControlContract.Operation> ops = AccessControlContract.operations();
        List<String> failures = new ArrayList<>();
        JqwikSession.start();
        try {
            for (AccessControlContract.Operation op : ops) {
                String key = "admin".equals(op.scope()) ? admin : mine.plaintextKey();
                List<String> fields = op.requestSchema() == null || op.requestSchema().getJsonObject("properties")
                        == null ? List.of() : List.copyOf(op.requestSchema().getJsonObject("properties").fieldNames());
                Arbitrary<Attempt> attempts = net.jqwik.api.Combinators.combine(idFor(foreignConversation),
                        query(foreignCursor), body(fields)).as((id, q, b) -> new Attempt(op.toString(),
                                fill(op.path(), id), q, b));
                Map<String, String> before = DatabaseFingerprint.of(backend.dialect());
                for (Attempt attempt : attempts.sampleStream().limit(CASES_PER_OPERATION).toList()) {
                    Response r = send(op, key, attempt);
                    String problem = check(r);
                    if (problem != null) {
                        failures.add(describe(attempt) + ": " + problem);
                    }
                    Map<String, String> after = DatabaseFingerprint.of(backend.dialect());
                    if (r.statusCode() >= 400 && !after.equals(before)) {
                        failures.add(describe(attempt) + ": rejected with " + r.statusCode()
                                + " but the database changed: " + before + " -> " + after);
                    }
                    before = after;
                }
            }
        } finally {
            JqwikSession.finish();
        }
        assertThat(failures).isEmpty();
    }

    private static String fill(String path, String id) {
        Matcher m = Pattern.compile("\\{[^}]+\\}").matcher(path);
        return m.replaceAll(Matcher.quoteReplacement(id));
    }

    private static Response send(AccessControlContract.Operation op, String key, Attempt attempt) {
        RequestSpecification r = given().urlEncodingEnabled(false).header("Authorization", "Bearer " + key)
                .contentType("application/json").accept(op.path().endsWith("/messages") && op.method().equals("post")
                        ? "text/event-stream" : "application/json");
        attempt.query().forEach((k, v) -> r.queryParam(k, java.net.URLEncoder.encode(v, StandardCharsets.UTF_8)));
        if (op.method().equals("post") || op.method().equals("patch") || op.method().equals("put")) {
            r.body(attempt.body());
        }
        return r.request(op.method().toUpperCase(), attempt.path());
    }

    /** Null when the answer is acceptable; otherwise what is wrong with it. */
    private static String check(Response r) {
        if (r.statusCode() >= 500) {
            return "answered " + r.statusCode() + " " + r.asString();
        }
        if (r.statusCode() >= 400 && !String.valueOf(r.contentType()).startsWith("application/problem+json")) {
            return "answered " + r.statusCode() + " as " + r.contentType() + ", not a problem document";
        }
        if (r.statusCode() >= 400) {
            com.fasterxml.jackson.databind.JsonNode problem;
            try {
                problem = PLAIN_JSON.readTree(r.asString());
            } catch (java.io.IOException e) {
                return "a problem document that is not JSON: " + r.asString();
            }
            if (problem.path("status").asInt() != r.statusCode() || !problem.path("type").isTextual()) {
                return "a problem document without its status and type: " + problem;
            }
        }
        return null;
    }

    private static String describe(Attempt a) {
        String body = a.body() == null ? "" : new String(a.body(), 0, Math.min(a.body().length, 200),
                StandardCharsets.UTF_8);
        return a.what() + " as " + a.path().substring(0, Math.min(a.path().length(), 120)) + " " + a.query()
                + " body " + body;
    }
}
