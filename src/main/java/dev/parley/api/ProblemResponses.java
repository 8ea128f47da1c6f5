package dev.parley.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * Adds the problem documents to the generated API description: the {@code Problem} schema, and to every operation
 * the error responses it can give, each naming its stable problem types. So a client generated from
 * {@code /q/openapi} knows every error it may see, and the API fuzz test knows every operation to walk.
 */
public class ProblemResponses implements OASFilter {

    private static final String PROBLEM = "#/components/schemas/Problem";

    /** Status, and the problem types ({@code https://parley.dev/problems/<type>}) any operation may answer with. */
    private static final Map<String, String> COMMON = new LinkedHashMap<>();

    static {
        COMMON.put("400", "invalid-request, malformed-json, unknown-model: the request is wrong and changed nothing");
        COMMON.put("401", "unauthenticated: no API key, or one that is unknown, revoked or expired");
        COMMON.put("403", "forbidden: the key lacks the operation's scope, or may not give a scope it lacks");
        COMMON.put("404", "not-found: nothing with that id for the caller's tenant (another tenant's looks the same)");
        COMMON.put("413", "payload-too-large: the body exceeds PARLEY_MAX_BODY_SIZE");
        COMMON.put("500", "internal-error: unexpected; the detail names an error id found in the server log");
        COMMON.put("502", "upstream-error: the model's upstream failed (chat turns)");
        COMMON.put("503", "overloaded, shutting-down: retry after Retry-After seconds");
    }

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        Components components = openAPI.getComponents() == null ? OASFactory.createComponents()
                : openAPI.getComponents();
        components.addSchema("Problem", problemSchema());
        openAPI.setComponents(components);
        if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
            return;
        }
        openAPI.getPaths().getPathItems().forEach((path, item) -> item.getOperations().values()
                .forEach(this::addProblems));
    }

    private void addProblems(Operation operation) {
        APIResponses responses = operation.getResponses() == null ? OASFactory.createAPIResponses()
                : operation.getResponses();
        COMMON.forEach((status, description) -> {
            // the security and validation responses SmallRye adds by itself carry no body: give them the problem
            var existing = responses.getAPIResponse(status);
            var response = existing != null ? existing : OASFactory.createAPIResponse().description(description);
            if (response.getContent() == null || response.getContent().getMediaType("application/problem+json") == null) {
                response.content(OASFactory.createContent().addMediaType("application/problem+json",
                        OASFactory.createMediaType().schema(OASFactory.createSchema().ref(PROBLEM))));
            }
            if (existing == null) {
                responses.addAPIResponse(status, response);
            }
        });
        operation.setResponses(responses);
    }

    private static Schema problemSchema() {
        Schema string = OASFactory.createSchema().addType(Schema.SchemaType.STRING);
        Schema fieldError = OASFactory.createSchema().addType(Schema.SchemaType.OBJECT)
                .addProperty("field", string).addProperty("message", string);
        return OASFactory.createSchema().addType(Schema.SchemaType.OBJECT)
                .description("An RFC 9457 problem document; 'type' is stable, 'detail' is for people")
                .addProperty("type", OASFactory.createSchema().addType(Schema.SchemaType.STRING)
                        .description("https://parley.dev/problems/<kind>"))
                .addProperty("title", string)
                .addProperty("status", OASFactory.createSchema().addType(Schema.SchemaType.INTEGER))
                .addProperty("detail", string)
                .addProperty("instance", string)
                .addProperty("errors", OASFactory.createSchema().addType(Schema.SchemaType.ARRAY).items(fieldError))
                .required(List.of("type", "title", "status"));
    }
}
