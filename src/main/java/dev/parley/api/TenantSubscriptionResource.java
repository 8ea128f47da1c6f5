package dev.parley.api;

import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.parley.api.BillingViews.SubscriptionView;
import dev.parley.auth.Scope;
import dev.parley.billing.TenantSubscriptions;
import dev.parley.store.Timestamps;
import io.smallrye.mutiny.Uni;

/**
 * Any tenant's Stripe subscription, for operators. Scope {@code admin}. (A class of its own: under AdminResource's
 * {@code /api/admin/tenants} a second class with a shorter path would never be matched.)
 */
@Path("/api/admin/tenants/{id}/subscription")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Scope.Names.ADMIN)
public class TenantSubscriptionResource {

    private final TenantSubscriptions subscriptions;

    TenantSubscriptionResource(TenantSubscriptions subscriptions) {
        this.subscriptions = subscriptions;
    }

    /** The tenant's current subscription (every field null when it has none); 404 for a tenant that does not exist. */
    @GET
    public Uni<SubscriptionView> subscription(@PathParam("id") String id) {
        UUID tenant = Paging.id(id, "tenant");
        return subscriptions.tenantExists(tenant).chain(exists -> {
            if (!exists) {
                throw ApiProblem.notFound("tenant " + id + " does not exist");
            }
            return subscriptions.current(tenant, Timestamps.now());
        }).map(found -> SubscriptionView.of(tenant, found));
    }
}
