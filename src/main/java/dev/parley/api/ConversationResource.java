package dev.parley.api;

import java.net.URI;
import java.util.Optional;

import jakarta.annotation.security.RolesAllowed;
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

import dev.parley.api.Views.ConversationView;
import dev.parley.api.Views.CreateConversation;
import dev.parley.api.Views.MessageView;
import dev.parley.api.Views.PageView;
import dev.parley.api.Views.UpdateConversation;
import dev.parley.auth.CurrentCaller;
import dev.parley.auth.Scope;
import dev.parley.chat.Conversations;
import dev.parley.store.ConversationChange;
import io.smallrye.mutiny.Uni;

@Path("/api/conversations")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ConversationResource {

    private final Conversations conversations;
    private final CurrentCaller caller;

    ConversationResource(Conversations conversations, CurrentCaller caller) {
        this.conversations = conversations;
        this.caller = caller;
    }

    @POST
    @RolesAllowed(Scope.Names.CHAT)
    public Uni<Response> create(CreateConversation body) {
        RequestConstraints.optional(body);
        CreateConversation request = body == null ? new CreateConversation(null, null, null) : body;
        String metadata = Views.metadata(request.metadata());
        return conversations.create(caller.get(), request.title(), request.model(), metadata)
                .map(c -> Response.created(URI.create("/api/conversations/" + c.id()))
                        .entity(ConversationView.of(c)).build());
    }

    @GET
    @RolesAllowed(Scope.Names.READ)
    public Uni<PageView<ConversationView>> list(@QueryParam("cursor") String cursor,
            @QueryParam("limit") String limit, @QueryParam("archived") String archived) {
        Paging paging = Paging.parse(cursor, limit);
        return conversations.list(caller.get(), Paging.flag("archived", archived), paging.after(), paging.limit())
                .map(page -> PageView.of(page, ConversationView::of));
    }

    @GET
    @Path("{id}")
    @RolesAllowed(Scope.Names.READ)
    public Uni<ConversationView> get(@PathParam("id") String id) {
        return conversations.find(caller.get(), Paging.id(id, "conversation"))
                .map(found -> ConversationView.of(found.orElseThrow(() -> notFound(id))));
    }

    @PATCH
    @Path("{id}")
    @RolesAllowed(Scope.Names.CHAT)
    public Uni<ConversationView> update(@PathParam("id") String id, UpdateConversation body) {
        RequestConstraints.optional(body);
        if (body == null || (body.title() == null && body.archived() == null && body.metadata() == null)) {
            throw ApiProblem.badRequest("send at least one of 'title', 'archived' or 'metadata'");
        }
        if (body.metadata() != null && body.metadata().isNull()) {
            throw ApiProblem.badRequest("metadata must be a JSON object; send {} to clear it");
        }
        ConversationChange change = new ConversationChange(Optional.ofNullable(body.title()).map(String::trim),
                Optional.ofNullable(body.archived()), Optional.ofNullable(Views.metadata(body.metadata())));
        return conversations.change(caller.get(), Paging.id(id, "conversation"), change)
                .map(found -> ConversationView.of(found.orElseThrow(() -> notFound(id))));
    }

    @DELETE
    @Path("{id}")
    @RolesAllowed(Scope.Names.CHAT)
    public Uni<Response> delete(@PathParam("id") String id) {
        return conversations.delete(caller.get(), Paging.id(id, "conversation")).map(deleted -> {
            if (!deleted) {
                throw notFound(id);
            }
            return Response.noContent().build();
        });
    }

    @GET
    @Path("{id}/messages")
    @RolesAllowed(Scope.Names.READ)
    public Uni<PageView<MessageView>> messages(@PathParam("id") String id, @QueryParam("cursor") String cursor,
            @QueryParam("limit") String limit) {
        Paging paging = Paging.parse(cursor, limit);
        return conversations.messages(caller.get(), Paging.id(id, "conversation"), paging.after(), paging.limit())
                .map(page -> PageView.of(page.orElseThrow(() -> notFound(id)), MessageView::of));
    }

    private static ApiProblem notFound(String id) {
        return ApiProblem.notFound("conversation " + id + " does not exist");
    }
}
