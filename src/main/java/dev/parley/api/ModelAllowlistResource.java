package dev.parley.api;

import java.util.ArrayList;
import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.databind.JsonNode;

import dev.parley.api.Views.ModelAllowlistView;
import dev.parley.auth.Scope;
import dev.parley.provider.TenantUpstreams;
import dev.parley.store.UpstreamStore.ModelAllowlist;
import io.smallrye.mutiny.Uni;

/**
 * Which of the operator's models a tenant may use (its own upstreams' models it always may). Scope {@code admin}.
 * Applies at once on this process and within {@code PARLEY_UPSTREAM_TENANT_CACHE_TTL} on the others.
 */
@Path("/api/admin/tenants/{id}/models")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Scope.Names.ADMIN)
public class ModelAllowlistResource {

    private final TenantUpstreams upstreams;

    ModelAllowlistResource(TenantUpstreams upstreams) {
        this.upstreams = upstreams;
    }

    @GET
    public Uni<ModelAllowlistView> get(@PathParam("id") String id) {
        return upstreams.allowedModels(Paging.id(id, "tenant"))
                .map(found -> new ModelAllowlistView(found.orElseThrow(() -> notFound(id)).models()));
    }

    /**
     * Replaces the allowlist: an array of model names ({@code []}: none of the operator's models), or {@code null}
     * for every operator model.
     */
    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<ModelAllowlistView> put(@PathParam("id") String id, JsonNode body) {
        var tenantId = Paging.id(id, "tenant");
        ModelAllowlist allowlist = parse(body);
        return upstreams.setAllowedModels(tenantId, allowlist).map(found -> {
            if (!found) {
                throw notFound(id);
            }
            return new ModelAllowlistView(allowlist.models());
        });
    }

    private static ModelAllowlist parse(JsonNode body) {
        if (body == null || body.isNull()) {
            return ModelAllowlist.EVERY;
        }
        if (!body.isArray() || body.size() > 1_000) {
            throw ApiProblem.badRequest("the body must be an array of at most 1000 model names, such as "
                    + "[\"gpt-4o-mini\"], or null for every operator model");
        }
        List<String> names = new ArrayList<>(body.size());
        for (int i = 0; i < body.size(); i++) {
            JsonNode n = body.get(i);
            if (!n.isTextual() || n.textValue().length() > 100) {
                throw ApiProblem.badRequest("[" + i + "] must be a model name of at most 100 characters");
            }
            names.add(n.textValue());
        }
        return new ModelAllowlist(UpstreamResource.models(names, ""));
    }

    private static ApiProblem notFound(String id) {
        return ApiProblem.notFound("tenant " + id + " does not exist");
    }
}
