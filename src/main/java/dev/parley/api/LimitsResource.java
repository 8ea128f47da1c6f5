package dev.parley.api;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.databind.JsonNode;

import dev.parley.api.Views.LimitsView;
import dev.parley.auth.Scope;
import dev.parley.usage.LimitChanges;
import io.smallrye.mutiny.Uni;

/**
 * A tenant's limits, as an admin sets them. Its plan (billing) may lower the monthly budget further; this reads back
 * what was set. Scope {@code admin}.
 */
@Path("/api/admin/tenants/{id}/limits")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Scope.Names.ADMIN)
public class LimitsResource {

    private final LimitChanges limits;

    LimitsResource(LimitChanges limits) {
        this.limits = limits;
    }

    @GET
    public Uni<LimitsView> get(@PathParam("id") String id) {
        return limits.tenant(Paging.id(id, "tenant"))
                .map(found -> LimitsView.of(found.orElseThrow(() -> notFound(id))));
    }

    /**
     * Replaces the tenant's limits (a value left out or null is unlimited). Applies at once on this process and within
     * {@code PARLEY_USAGE_LIMITS_CACHE_TTL} on the others.
     */
    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<LimitsView> put(@PathParam("id") String id, JsonNode body) {
        var tenantId = Paging.id(id, "tenant");
        var asked = LimitsBody.parse(body, "the body");
        return limits.setTenant(tenantId, asked).map(found -> {
            if (!found) {
                throw notFound(id);
            }
            return LimitsView.of(asked);
        });
    }

    private static ApiProblem notFound(String id) {
        return ApiProblem.notFound("tenant " + id + " does not exist");
    }
}
