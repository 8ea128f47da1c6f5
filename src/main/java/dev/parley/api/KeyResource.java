package dev.parley.api;

import java.util.EnumSet;
import java.util.Set;

import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.databind.JsonNode;

import dev.parley.api.Views.CreateKey;
import dev.parley.api.Views.KeyView;
import dev.parley.api.Views.NewKeyView;
import dev.parley.api.Views.PageView;
import dev.parley.auth.CurrentCaller;
import dev.parley.auth.Scope;
import dev.parley.auth.Tenants;
import dev.parley.usage.LimitChanges;
import io.smallrye.mutiny.Uni;

/** The caller's tenant's API keys: list, read, create (shown once), set limits, revoke. Scope {@code keys}. */
@Path("/api/keys")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Scope.Names.KEYS)
public class KeyResource {

    private final Tenants tenants;
    private final LimitChanges limits;
    private final CurrentCaller caller;

    KeyResource(Tenants tenants, LimitChanges limits, CurrentCaller caller) {
        this.tenants = tenants;
        this.limits = limits;
        this.caller = caller;
    }

    @GET
    public Uni<PageView<KeyView>> list(@QueryParam("cursor") String cursor, @QueryParam("limit") String limit) {
        Paging paging = Paging.parse(cursor, limit);
        return tenants.listKeys(caller.get(), paging.after(), paging.limit())
                .map(page -> PageView.of(page, KeyView::of));
    }

    /** Another key for the caller's tenant, with at most the caller's own scopes. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> create(@NotNull CreateKey body) {
        RequestConstraints.required(body);
        Set<Scope> scopes = body.scopes() == null ? null : scopes(body);
        try {
            return tenants.createKey(caller.get(), body.name().trim(), scopes, body.expiresAt())
                    .map(created -> Response.status(Response.Status.CREATED)
                            .entity(NewKeyView.of(created.key(), created.plaintextKey())).build());
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest(e.getMessage());
        }
    }

    private static Set<Scope> scopes(CreateKey body) {
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (String s : body.scopes()) {
            try {
                scopes.add(Scope.of(s.trim()));
            } catch (IllegalArgumentException e) {
                throw ApiProblem.badRequest(e.getMessage());
            }
        }
        return scopes;
    }

    @GET
    @Path("{id}")
    public Uni<KeyView> key(@PathParam("id") String id) {
        return tenants.findKey(caller.get(), Paging.id(id, "API key"))
                .map(found -> KeyView.of(found.orElseThrow(() -> notFound(id))));
    }

    /**
     * Changes a key: {@code {"limits":{...}}} replaces its limits (a value left out or null is unlimited for the key,
     * which its tenant's limits still bound); no value may be above its tenant's. Applies at once on this process
     * and within {@code PARLEY_AUTH_CACHE_TTL} on the others.
     */
    @PATCH
    @Path("{id}")
    @Consumes({ MediaType.APPLICATION_JSON, "application/merge-patch+json" })
    public Uni<KeyView> change(@PathParam("id") String id, JsonNode body) {
        if (body == null || !body.isObject() || !body.has("limits") || body.size() != 1) {
            throw ApiProblem.badRequest("the body must be {\"limits\":{...}}: limits are the only field a key "
                    + "changes");
        }
        var keyId = Paging.id(id, "API key");
        var asked = LimitsBody.parse(body.get("limits"), "limits");
        return limits.setKey(caller.get(), keyId, asked)
                .onFailure(LimitChanges.AboveTenant.class).transform(e -> ApiProblem.badRequest(e.getMessage()))
                .map(changed -> KeyView.of(changed.orElseThrow(() -> notFound(id))));
    }

    private static ApiProblem notFound(String id) {
        return ApiProblem.notFound("API key " + id + " does not exist");
    }

    /** Revokes the key at once on this process and within about a second everywhere else; 204 also when repeated. */
    @DELETE
    @Path("{id}")
    public Uni<Response> revoke(@PathParam("id") String id) {
        return tenants.revokeKey(caller.get(), Paging.id(id, "API key")).map(revoked -> revoked
                .map(k -> Response.noContent().build())
                .orElseThrow(() -> ApiProblem.notFound("API key " + id + " does not exist")));
    }

}
