package dev.parley.billing;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.stripe.exception.EventDataObjectDeserializationException;
import com.stripe.model.Event;
import com.stripe.model.EventDataObjectDeserializer;
import com.stripe.model.Invoice;
import com.stripe.model.StripeObject;
import com.stripe.model.Subscription;
import com.stripe.model.SubscriptionItem;
import com.stripe.model.checkout.Session;

/**
 * Reads the events Parley acts on into {@link ParsedEvent}s, through stripe-java's models. An event of the library's
 * API version ({@code Stripe.API_VERSION}) deserializes safely; one of another version (an endpoint pinned to an
 * older version) goes through {@code deserializeUnsafe()}, and the fields that older versions keep elsewhere
 * ({@code current_period_end} on the subscription rather than its items, {@code subscription} and
 * {@code subscription_details} on the invoice rather than under {@code parent}) are read from the raw JSON.
 */
final class StripeEventParser {

    static final String TENANT_METADATA_KEY = "parley_tenant_id";

    private static final Set<String> SUBSCRIPTION_TYPES = Set.of("customer.subscription.created",
            "customer.subscription.updated", "customer.subscription.deleted", "customer.subscription.paused",
            "customer.subscription.resumed");

    private StripeEventParser() {
    }

    /**
     * @param raw the whole event as JSON (already parsed by the caller, which checked it is strict JSON)
     * @param isPlanPrice which prices are plans, to pick the plan's item on a subscription with several
     */
    static ParsedEvent parse(Event event, JsonNode raw, Predicate<String> isPlanPrice) {
        if (event.getId() == null || event.getType() == null || event.getCreated() == null) {
            throw WebhookRejected.malformed("the event has no id, type or created time");
        }
        Instant created = Instant.ofEpochSecond(event.getCreated());
        boolean livemode = Boolean.TRUE.equals(event.getLivemode());
        JsonNode object = raw.path("data").path("object");
        String type = event.getType();
        if (SUBSCRIPTION_TYPES.contains(type)) {
            Subscription s = object(event, Subscription.class);
            SubscriptionItem item = planItem(s, isPlanPrice);
            Instant periodEnd = periodEnd(s, object);
            return new ParsedEvent(event.getId(), type, event.getApiVersion(), livemode, created,
                    ParsedEvent.Kind.SUBSCRIPTION, required(s.getId(), "subscription id"), s.getCustomer(),
                    metadataTenant(s.getMetadata()), required(s.getStatus(), "subscription status"),
                    item == null || item.getPrice() == null ? null : item.getPrice().getId(), periodEnd, null);
        }
        if (type.equals("invoice.paid") || type.equals("invoice.payment_failed")) {
            Invoice invoice = object(event, Invoice.class);
            Invoice.Parent.SubscriptionDetails details = invoice.getParent() == null ? null
                    : invoice.getParent().getSubscriptionDetails();
            String subscription = details != null && details.getSubscription() != null ? details.getSubscription()
                    : text(object.path("subscription")); // API versions before 2025-03-31
            if (subscription == null) {
                return ignored(event, created, livemode); // a one-off invoice
            }
            String tenant = details != null && details.getMetadata() != null ? metadataTenant(details.getMetadata())
                    : text(object.path("subscription_details").path("metadata").path(TENANT_METADATA_KEY));
            String outcome = type.equals("invoice.paid") ? "paid"
                    : "subscription_create".equals(invoice.getBillingReason()) ? "first_payment_failed"
                            : "payment_failed";
            return new ParsedEvent(event.getId(), type, event.getApiVersion(), livemode, created,
                    ParsedEvent.Kind.INVOICE, subscription, invoice.getCustomer(), tenant, null, null, null, outcome);
        }
        if (type.equals("checkout.session.completed")) {
            Session session = object(event, Session.class);
            if (!"subscription".equals(session.getMode()) || session.getSubscription() == null) {
                return ignored(event, created, livemode); // a one-time payment
            }
            String tenant = session.getClientReferenceId() != null ? session.getClientReferenceId()
                    : metadataTenant(session.getMetadata());
            return new ParsedEvent(event.getId(), type, event.getApiVersion(), livemode, created,
                    ParsedEvent.Kind.CHECKOUT, session.getSubscription(), session.getCustomer(), tenant, null, null,
                    null, null);
        }
        return ignored(event, created, livemode);
    }

    private static ParsedEvent ignored(Event event, Instant created, boolean livemode) {
        return new ParsedEvent(event.getId(), event.getType(), event.getApiVersion(), livemode, created,
                ParsedEvent.Kind.IGNORED, null, null, null, null, null, null, null);
    }

    /**
     * The event's object as the library's model: safely when the event has the library's API version, otherwise
     * with {@code deserializeUnsafe()}, which maps what it can of another version's shape.
     */
    private static <T extends StripeObject> T object(Event event, Class<T> type) {
        if (event.getData() == null) {
            throw WebhookRejected.malformed("the event has no data object");
        }
        EventDataObjectDeserializer deserializer = event.getDataObjectDeserializer();
        StripeObject object;
        Optional<StripeObject> safe = deserializer.getObject();
        if (safe.isPresent()) {
            object = safe.get();
        } else {
            try {
                object = deserializer.deserializeUnsafe();
            } catch (EventDataObjectDeserializationException | RuntimeException e) {
                throw WebhookRejected.malformed("cannot read the " + event.getType() + " event's data object (API "
                        + "version " + event.getApiVersion() + ")");
            }
        }
        if (!type.isInstance(object)) {
            throw WebhookRejected.malformed("the " + event.getType() + " event's data object is not a "
                    + type.getSimpleName());
        }
        return type.cast(object);
    }

    private static SubscriptionItem planItem(Subscription s, Predicate<String> isPlanPrice) {
        List<SubscriptionItem> items = s.getItems() == null || s.getItems().getData() == null ? List.of()
                : s.getItems().getData();
        return items.stream().filter(i -> i.getPrice() != null && isPlanPrice.test(i.getPrice().getId())).findFirst()
                .orElse(items.isEmpty() ? null : items.get(0));
    }

    /** The latest period end among the items (API 2025-03-31 and later), else the subscription's own (older). */
    private static Instant periodEnd(Subscription s, JsonNode object) {
        Long latest = null;
        if (s.getItems() != null && s.getItems().getData() != null) {
            for (SubscriptionItem item : s.getItems().getData()) {
                if (item.getCurrentPeriodEnd() != null && (latest == null || item.getCurrentPeriodEnd() > latest)) {
                    latest = item.getCurrentPeriodEnd();
                }
            }
        }
        if (latest == null && object.path("current_period_end").canConvertToLong()) {
            latest = object.path("current_period_end").asLong();
        }
        return latest == null ? null : Instant.ofEpochSecond(latest);
    }

    private static String metadataTenant(Map<String, String> metadata) {
        return metadata == null ? null : metadata.get(TENANT_METADATA_KEY);
    }

    private static String text(JsonNode node) {
        return node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
    }

    private static String required(String value, String what) {
        if (value == null || value.isBlank()) {
            throw WebhookRejected.malformed("the event has no " + what);
        }
        return value;
    }
}
