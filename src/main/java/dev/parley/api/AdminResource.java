package dev.parley.api;

import java.net.URI;

import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.parley.api.Views.CreateTenant;
import dev.parley.api.Views.NewKeyView;
import dev.parley.api.Views.NewTenantView;
import dev.parley.api.Views.TenantView;
import dev.parley.auth.Scope;
import dev.parley.auth.Tenants;
import io.smallrye.mutiny.Uni;

/** Operator endpoints across tenants. Scope {@code admin}. */
@Path("/api/admin/tenants")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Scope.Names.ADMIN)
public class AdminResource {

    private final Tenants tenants;

    AdminResource(Tenants tenants) {
        this.tenants = tenants;
    }

    /** A new tenant with its first key (scopes read, chat, keys), shown once. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> createTenant(@NotNull CreateTenant body) {
        RequestConstraints.required(body);
        return tenants.createTenant(body.name().trim(), Tenants.TENANT_SCOPES).map(created -> Response
                .created(URI.create("/api/admin/tenants/" + created.tenant().id()))
                .entity(new NewTenantView(TenantView.of(created.tenant()),
                        NewKeyView.of(created.key(), created.plaintextKey())))
                .build());
    }

    @GET
    @Path("{id}")
    public Uni<TenantView> tenant(@PathParam("id") String id) {
        return tenants.findTenant(Paging.id(id, "tenant")).map(found -> TenantView.of(found
                .orElseThrow(() -> ApiProblem.notFound("tenant " + id + " does not exist"))));
    }
}
