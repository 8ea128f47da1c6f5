package dev.parley.api;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

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
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.parley.api.Views.ChangeUpstream;
import dev.parley.api.Views.CreateUpstream;
import dev.parley.api.Views.PageView;
import dev.parley.api.Views.UpstreamView;
import dev.parley.auth.CurrentCaller;
import dev.parley.auth.Scope;
import dev.parley.provider.TenantUpstreams;
import io.smallrye.mutiny.Uni;

/**
 * The caller's tenant's own OpenAI-compatible upstreams: its turns for a model one of them lists go there, with its
 * API key, and no other tenant's do. Scope {@code upstreams}. The key is stored encrypted and never shown again
 * beyond its last four characters.
 */
@Path("/api/upstreams")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Scope.Names.UPSTREAMS)
public class UpstreamResource {

    private final TenantUpstreams upstreams;
    private final CurrentCaller caller;

    UpstreamResource(TenantUpstreams upstreams, CurrentCaller caller) {
        this.upstreams = upstreams;
        this.caller = caller;
    }

    @GET
    public Uni<PageView<UpstreamView>> list() {
        return upstreams.list(caller.get().tenantId())
                .map(list -> new PageView<>(list.stream().map(UpstreamView::of).toList(), null));
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> create(@NotNull CreateUpstream body) {
        RequestConstraints.required(body);
        var created = new TenantUpstreams.NewUpstream(name(body.name()), baseUrl(body.baseUrl()),
                apiKey(body.apiKey()), models(body.models(), "models"));
        return upstreams.create(caller.get().tenantId(), created).map(u -> Response
                .created(URI.create("/api/upstreams/" + u.id())).entity(UpstreamView.of(u)).build());
    }

    @GET
    @Path("{id}")
    public Uni<UpstreamView> upstream(@PathParam("id") String id) {
        return upstreams.find(caller.get().tenantId(), Paging.id(id, "upstream"))
                .map(found -> UpstreamView.of(found.orElseThrow(() -> notFound(id))));
    }

    /** Replaces the fields given; a new {@code apiKey} is encrypted under the current key. */
    @PATCH
    @Path("{id}")
    @Consumes({ MediaType.APPLICATION_JSON, "application/merge-patch+json" })
    public Uni<UpstreamView> change(@PathParam("id") String id, @NotNull ChangeUpstream body) {
        RequestConstraints.required(body);
        var upstreamId = Paging.id(id, "upstream");
        var change = new TenantUpstreams.Change(body.name() == null ? null : name(body.name()),
                body.baseUrl() == null ? null : baseUrl(body.baseUrl()),
                body.apiKey() == null ? null : apiKey(body.apiKey()),
                body.models() == null ? null : models(body.models(), "models"));
        return upstreams.change(caller.get().tenantId(), upstreamId, change)
                .map(changed -> UpstreamView.of(changed.orElseThrow(() -> notFound(id))));
    }

    @DELETE
    @Path("{id}")
    public Uni<Response> delete(@PathParam("id") String id) {
        return upstreams.delete(caller.get().tenantId(), Paging.id(id, "upstream")).map(deleted -> {
            if (!deleted) {
                throw notFound(id);
            }
            return Response.noContent().build();
        });
    }

    private static ApiProblem notFound(String id) {
        return ApiProblem.notFound("upstream " + id + " does not exist");
    }

    private static String name(String name) {
        String n = name.strip();
        if (n.isEmpty() || n.chars().anyMatch(Character::isISOControl)) {
            throw ApiProblem.badRequest("name must be a non-blank name without control characters");
        }
        return n;
    }

    /**
     * An absolute http(s) URL with a host and no credentials in it (credentials belong in {@code apiKey}, which is
     * encrypted; a URL is stored as it is).
     */
    static String baseUrl(String url) {
        String u = url.strip();
        URI uri;
        try {
            uri = new URI(u);
        } catch (URISyntaxException e) {
            throw ApiProblem.badRequest("baseUrl must be an http or https URL such as https://api.openai.com/v1");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.isOpaque()) {
            throw ApiProblem.badRequest("baseUrl must be an http or https URL such as https://api.openai.com/v1");
        }
        if (uri.getRawUserInfo() != null) {
            throw ApiProblem.badRequest("baseUrl must not carry credentials; give the API key as apiKey, which is "
                    + "stored encrypted");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw ApiProblem.badRequest("baseUrl must not have a query or fragment");
        }
        return u;
    }

    private static String apiKey(String key) {
        String k = key.strip();
        if (k.isEmpty() || k.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw ApiProblem.badRequest("apiKey must be printable ASCII without spaces");
        }
        return k;
    }

    /** Model names, each without commas, whitespace or control characters; duplicates dropped. */
    static List<String> models(List<String> models, String field) {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (int i = 0; i < models.size(); i++) {
            String m = models.get(i) == null ? "" : models.get(i).strip();
            if (m.isEmpty() || m.equals("*") || m.chars().anyMatch(c -> c == ',' || Character.isWhitespace(c)
                    || Character.isISOControl(c))) {
                throw ApiProblem.badRequest(field + "[" + i + "] must be a model name without commas, spaces or "
                        + "control characters");
            }
            names.add(m);
        }
        return new ArrayList<>(names);
    }
}
