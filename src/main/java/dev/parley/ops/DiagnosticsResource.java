package dev.parley.ops;

import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.parley.auth.CurrentCaller;
import dev.parley.auth.Forbidden;

/** Operator diagnostics, for admin keys only: it names the database and shows load on it. */
@Path("/q/parley/diagnostics")
public class DiagnosticsResource {

    private final Diagnostics diagnostics;
    private final CurrentCaller caller;

    DiagnosticsResource(Diagnostics diagnostics, CurrentCaller caller) {
        this.diagnostics = diagnostics;
        this.caller = caller;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> get() {
        if (!caller.get().admin()) {
            throw new Forbidden("diagnostics need an admin API key");
        }
        return diagnostics.snapshot();
    }
}
