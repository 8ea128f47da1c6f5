package dev.parley.api;

import java.nio.charset.StandardCharsets;

import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;

import dev.parley.api.BillingViews.WebhookAck;
import dev.parley.billing.StripeWebhooks;
import io.smallrye.mutiny.Uni;

/**
 * Stripe's webhook endpoint. Public (Stripe sends no API key): what authenticates a delivery is its
 * {@code Stripe-Signature}. Answers 200 for every verified event, also a duplicate or one Parley does not act on, so
 * that Stripe stops retrying; 400 (nothing stored) for a bad signature; 404 when no webhook secret is configured.
 */
@Path("/webhooks/stripe")
@PermitAll
public class StripeWebhookResource {

    private final StripeWebhooks webhooks;

    StripeWebhookResource(StripeWebhooks webhooks) {
        this.webhooks = webhooks;
    }

    @POST
    @PermitAll
    @Operation(summary = "Stripe's webhook (public)", description = "Called by Stripe, not by API clients: no API "
            + "key; the Stripe-Signature header authenticates each delivery. 200 for every verified event (duplicates "
            + "included), 400 for a missing, wrong or stale signature, 404 when no webhook secret is configured.")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<WebhookAck> receive(@HeaderParam("Stripe-Signature") String signature, byte[] body) {
        if (!webhooks.enabled()) {
            throw ApiProblem.notFound("no Stripe webhook is configured here (PARLEY_STRIPE_WEBHOOK_SECRET)");
        }
        // the signature covers the exact bytes Stripe sent, which are UTF-8
        String payload = new String(body == null ? new byte[0] : body, StandardCharsets.UTF_8);
        return webhooks.receive(payload, signature).map(WebhookAck::of);
    }
}
