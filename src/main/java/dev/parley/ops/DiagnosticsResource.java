package dev.parley.ops;

import java.util.Map;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.parley.auth.Scope;

/** Operator diagnostics, for admin keys only: it names the database and shows load on it. */
@Path("/q/parley/diagnostics")
@RolesAllowed(Scope.Names.ADMIN)
public class DiagnosticsResource {

    private final Diagnostics diagnostics;

    DiagnosticsResource(Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> get() {
        return diagnostics.snapshot();
    }
}
