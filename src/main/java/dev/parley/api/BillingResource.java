package dev.parley.api;

import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
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
 * A tenant's own subscription (scope {@code read}) and the stored Stripe events (scope {@code admin}); any tenant's
 * subscription is {@link TenantSubscriptionResource}.
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

    /** The caller's own tenant's subscription (every field null when it has none). */
    @GET
    @Path("billing/subscription")
    @RolesAllowed(Scope.Names.READ)
    public Uni<SubscriptionView> own() {
        UUID tenant = caller.get().tenantId();
        return subscriptions.current(tenant, Timestamps.now()).map(found -> SubscriptionView.of(tenant, found));
    }

    /** Stored Stripe events, newest first; {@code unmatched=true} lists those no known tenant owns. */
    @GET
    @Path("admin/billing/events")
    @RolesAllowed(Scope.Names.ADMIN)
    public Uni<EventPageView> events(@QueryParam("unmatched") String unmatched, @QueryParam("cursor") String cursor,
            @QueryParam("limit") String limit) {
        return subscriptions.events(Paging.flag("unmatched", unmatched), Paging.textCursor(cursor),
                Paging.parse(null, limit).limit()).map(EventPageView::of);
    }
}
