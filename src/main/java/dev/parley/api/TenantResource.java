package dev.parley.api;

import java.net.URI;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.parley.api.Views.CreateKey;
import dev.parley.api.Views.CreateTenant;
import dev.parley.api.Views.NewKeyView;
import dev.parley.api.Views.NewTenantView;
import dev.parley.api.Views.TenantView;
import dev.parley.auth.Caller;
import dev.parley.auth.CurrentCaller;
import dev.parley.auth.Forbidden;
import dev.parley.auth.Tenants;
import dev.parley.store.ApiKey;
import io.smallrye.mutiny.Uni;

/** Tenants and API keys. New keys are returned in clear text exactly once. */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class TenantResource {

    private final Tenants tenants;
    private final CurrentCaller caller;

    TenantResource(Tenants tenants, CurrentCaller caller) {
        this.tenants = tenants;
        this.caller = caller;
    }

    /** Admin only: a new tenant with its first (non-admin) key. */
    @POST
    @Path("admin/tenants")
    public Uni<Response> createTenant(@Valid @NotNull CreateTenant body) {
        Caller me = caller.get();
        if (!me.admin()) {
            throw new Forbidden("creating tenants needs an admin API key");
        }
        return tenants.createTenant(body.name().trim(), false).map(created -> Response
                .created(URI.create("/api/admin/tenants/" + created.tenant().id()))
                .entity(new NewTenantView(new TenantView(created.tenant().id(), created.tenant().name(),
                        created.tenant().createdAt()), view(created.key(), created.plaintextKey())))
                .build());
    }

    /** Another key for the caller's own tenant. */
    @POST
    @Path("keys")
    public Uni<Response> createKey(@Valid @NotNull CreateKey body) {
        return tenants.createKey(caller.get().tenantId(), body.name().trim())
                .map(created -> Response.status(Response.Status.CREATED)
                        .entity(view(created.key(), created.plaintextKey())).build());
    }

    private static NewKeyView view(ApiKey key, String plaintext) {
        return new NewKeyView(key.id(), key.tenantId(), key.name(), key.prefix(), key.admin(), plaintext);
    }
}
