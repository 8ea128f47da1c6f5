package dev.parley.api;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import dev.parley.auth.CurrentCaller;
import dev.parley.auth.Scope;
import dev.parley.search.SearchQueryParser;
import dev.parley.search.Searches;
import dev.parley.store.Message;
import dev.parley.store.SearchCursor;
import dev.parley.store.SearchQuery;
import dev.parley.store.SearchStore;
import io.smallrye.mutiny.Uni;

/**
 * {@code GET /api/search}: full-text search over the caller's conversation history (scope {@code read}). The query
 * syntax is {@link SearchQueryParser}'s; every parameter that cannot be used is a {@code 400} problem. Without
 * {@code q} nothing is asked for, and the answer is an empty page.
 */
@Path("/api/search")
@Produces(MediaType.APPLICATION_JSON)
public class SearchResource {

    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("+10000-01-01T00:00:00Z");

    private final Searches searches;
    private final CurrentCaller caller;

    SearchResource(Searches searches, CurrentCaller caller) {
        this.searches = searches;
        this.caller = caller;
    }

    record SearchItemView(UUID conversationId, String conversationTitle, UUID messageId, String role,
            Instant createdAt, String snippet, double rank) {
    }

    record SearchPageView(List<SearchItemView> items, String nextCursor) {
    }

    @GET
    @RolesAllowed(Scope.Names.READ)
    public Uni<SearchPageView> search(@QueryParam("q") String q, @QueryParam("limit") String limit,
            @QueryParam("cursor") String cursor, @QueryParam("role") String role,
            @QueryParam("conversationId") String conversationId, @QueryParam("from") String from,
            @QueryParam("to") String to, @QueryParam("archived") String archived) {
        SearchQuery query = null;
        if (q != null) {
            try {
                query = SearchQueryParser.parse(q);
            } catch (IllegalArgumentException e) {
                throw ApiProblem.badRequest(e.getMessage());
            }
        }
        int n = Paging.parse(null, limit).limit();
        SearchCursor after = null;
        if (cursor != null && !cursor.isBlank()) {
            try {
                after = SearchCursor.decode(cursor.trim());
            } catch (IllegalArgumentException e) {
                throw ApiProblem.badRequest("cursor is not one this service issued: " + e.getMessage());
            }
        }
        Instant fromAt = instant("from", from, false);
        Instant toAt = instant("to", to, true);
        if (fromAt != null && toAt != null && !fromAt.isBefore(toAt)) {
            throw ApiProblem.badRequest("from must be before to");
        }
        SearchStore.Filter filter = new SearchStore.Filter(role(role), conversation(conversationId), fromAt, toAt,
                archived == null || archived.isBlank() ? null : Paging.flag("archived", archived));
        if (query == null) {
            // no q: nothing was asked for (a q that is present but blank or unusable is a 400 above)
            return Uni.createFrom().item(new SearchPageView(List.of(), null));
        }
        return searches.search(caller.get(), query, filter, after, n).map(result -> new SearchPageView(
                result.items().stream().map(i -> new SearchItemView(i.conversationId(), i.conversationTitle(),
                        i.messageId(), i.role().id(), i.createdAt(), i.snippet(), i.rank())).toList(),
                result.next() == null ? null : result.next().encode()));
    }

    private static Message.Role role(String role) {
        if (role == null || role.isBlank()) {
            return null;
        }
        return switch (role.trim()) {
            case "user" -> Message.Role.USER;
            case "assistant" -> Message.Role.ASSISTANT;
            default -> throw ApiProblem.badRequest("role must be user or assistant");
        };
    }

    private static UUID conversation(String id) {
        if (id == null || id.isBlank()) {
            return null;
        }
        try {
            if (id.trim().length() == 36) {
                return UUID.fromString(id.trim());
            }
        } catch (IllegalArgumentException e) {
            // answered below
        }
        throw ApiProblem.badRequest("conversationId must be a conversation id");
    }

    /**
     * An instant ({@code 2026-12-01T10:00:00Z}) or a UTC day ({@code 2026-12-01}): as {@code from} the day's start,
     * as {@code to} the next day's start, so that {@code to} (always exclusive) includes the day named.
     */
    private static Instant instant(String name, String value, boolean end) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        Instant at;
        try {
            if (v.length() == 10) {
                LocalDate day = LocalDate.parse(v);
                at = (end ? day.plusDays(1) : day).atStartOfDay(ZoneOffset.UTC).toInstant();
            } else {
                at = Instant.parse(v);
            }
        } catch (DateTimeParseException e) {
            throw ApiProblem.badRequest(name + " must be an instant (2026-12-01T10:00:00Z) or a day (2026-12-01)");
        }
        if (at.isBefore(EARLIEST) || at.isAfter(LATEST)) {
            throw ApiProblem.badRequest(name + " must be within the years 1 to 9999");
        }
        return at;
    }
}
