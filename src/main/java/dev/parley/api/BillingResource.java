package dev.parley.api;

import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import dev.parley.api.BillingViews.EventPageView;
import dev.parley.api.BillingViews.SubscriptionView;
import dev.parley.auth.CurrentCaller;
import dev.parley.auth.Scope;
import dev.parley.billing.TenantSubscriptions;
import dev.parley.store.Timestamps;
import io.smallrye.mutiny.Uni;

/**
 * Subscriptions and Stripe events: a tenant's own subscription (scope {@code read}), any tenant's and the stored
 * events (scope {@code admin}).
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
public class BillingResource {

    private final TenantSubscriptions subscriptions;
    private final CurrentCaller caller;

    BillingResource(TenantSubscriptions subscriptions, CurrentCaller caller) {
        this.subscriptions = subscriptions;
        this.caller = caller;
    }

    /** The caller's own tenant's subscription. */
    @GET
    @Path("billing/subscription")
    @RolesAllowed(Scope.Names.READ)
    public Uni<SubscriptionView> own() {
        UUID tenant = caller.get().tenantId();
        return subscriptions.current(tenant, Timestamps.now()).map(found -> SubscriptionView.of(tenant,
                found.orElseThrow(() -> ApiProblem.notFound("this tenant has no Stripe subscription"))));
    }

    /** Admin only: any tenant's subscription. */
    @GET
    @Path("admin/tenants/{id}/subscription")
    @RolesAllowed(Scope.Names.ADMIN)
    public Uni<SubscriptionView> ofTenant(@PathParam("id") String id) {
        UUID tenant = Paging.id(id, "tenant");
        return subscriptions.tenantExists(tenant).chain(exists -> {
            if (!exists) {
                throw ApiProblem.notFound("tenant " + id + " does not exist");
            }
            return subscriptions.current(tenant, Timestamps.now());
        }).map(found -> SubscriptionView.of(tenant,
                found.orElseThrow(() -> ApiProblem.notFound("tenant " + id + " has no Stripe subscription"))));
    }

    /** Admin only: stored Stripe events, newest first; {@code unmatched=true} lists those no known tenant owns. */
    @GET
    @Path("admin/billing/events")
    @RolesAllowed(Scope.Names.ADMIN)
    public Uni<EventPageView> events(@QueryParam("unmatched") String unmatched, @QueryParam("cursor") String cursor,
            @QueryParam("limit") String limit) {
        return subscriptions.events(Paging.flag("unmatched", unmatched), Paging.textCursor(cursor),
                Paging.parse(null, limit).limit()).map(EventPageView::of);
    }
}
