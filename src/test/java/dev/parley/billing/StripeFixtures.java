package dev.parley.billing;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.stripe.Stripe;

/**
 * Stripe webhook deliveries as Stripe sends them: event JSON shaped like real events of the library's API version
 * ({@link Stripe#API_VERSION}) or of an older one, and {@code Stripe-Signature} headers computed here the way
 * Stripe computes them (HMAC-SHA256 over {@code "<t>.<payload>"}, hex, scheme {@code v1}).
 */
public final class StripeFixtures {

    public static final String SECRET = "whsec_test_current_0123456789abcdef";
    /** The previous secret, still accepted while it is rotated out. */
    public static final String PREVIOUS_SECRET = "whsec_test_previous_0123456789abcd";
    public static final String PRO_PRICE = "price_1QproMonthly00000000000";
    public static final long PRO_TOKENS = 1_000_000;
    public static final String TEAM_PRICE = "price_1QteamMonthly0000000000";
    public static final long TEAM_TOKENS = 5_000_000;
    public static final long FREE_TOKENS = 40; // small, so that chat turns exhaust it
    /** An API version older than the library's: its events need {@code deserializeUnsafe()}. */
    public static final String OLD_API_VERSION = "2024-06-20";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private StripeFixtures() {
    }

    /** An id the way Stripe makes them: a prefix and 24 random alphanumerics, e.g. {@code evt_1QaZ...}. */
    public static String id(String prefix) {
        StringBuilder sb = new StringBuilder(prefix).append("_1Q");
        for (int i = 0; i < 22; i++) {
            sb.append(ALPHANUMERIC.charAt(RANDOM.nextInt(ALPHANUMERIC.length())));
        }
        return sb.toString();
    }

    /** The Stripe-Signature header for {@code payload} signed at {@code timestamp} with {@code secret}. */
    public static String signature(String secret, long timestamp, String payload) {
        return "t=" + timestamp + ",v1=" + hmac(secret, timestamp, payload);
    }

    public static String signature(String payload) {
        return signature(SECRET, Instant.now().getEpochSecond(), payload);
    }

    public static String hmac(String secret, long timestamp, String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal((timestamp + "." + payload).getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One event to deliver: its id, its JSON, and the subscription it concerns. */
    public record Delivery(String eventId, String type, long created, String subscriptionId, String payload) {
    }

    /** The ids one Stripe subscription's events share. */
    public record Customer(String subscriptionId, String customerId, String tenantId) {
        public static Customer of(Object tenantId) {
            return new Customer(id("sub"), id("cus"), tenantId == null ? null : tenantId.toString());
        }
    }

    /**
     * A {@code customer.subscription.*} event of the library's API version (current period on the items).
     *
     * @param tenantMetadata whether the subscription carries {@code metadata.parley_tenant_id}
     */
    public static Delivery subscriptionEvent(String type, long created, Customer c, String status, String price,
            boolean tenantMetadata) {
        String eventId = id("evt");
        long periodStart = created - 3600;
        long periodEnd = periodStart + 30L * 86400;
        String object = subscriptionObject(c, status, price, tenantMetadata, periodStart, periodEnd, true);
        String previous = type.equals("customer.subscription.updated")
                ? ",\"previous_attributes\":{\"status\":\"incomplete\"}" : "";
        return new Delivery(eventId, type, created, c.subscriptionId(),
                envelope(eventId, type, created, Stripe.API_VERSION, object + previous));
    }

    /** The same for an older API version: the period fields sit on the subscription itself. */
    public static Delivery oldSubscriptionEvent(String type, long created, Customer c, String status, String price) {
        String eventId = id("evt");
        long periodStart = created - 3600;
        long periodEnd = periodStart + 30L * 86400;
        String object = subscriptionObject(c, status, price, true, periodStart, periodEnd, false);
        return new Delivery(eventId, type, created, c.subscriptionId(),
                envelope(eventId, type, created, OLD_API_VERSION, object));
    }

    private static String subscriptionObject(Customer c, String status, String price, boolean tenantMetadata,
            long periodStart, long periodEnd, boolean periodOnItems) {
        String metadata = tenantMetadata && c.tenantId() != null
                ? "{\"parley_tenant_id\":\"" + c.tenantId() + "\",\"plan_source\":\"checkout\"}" : "{}";
        String itemPeriod = periodOnItems
                ? "\"current_period_end\":" + periodEnd + ",\"current_period_start\":" + periodStart + "," : "";
        String subscriptionPeriod = periodOnItems ? ""
                : "\"current_period_end\":" + periodEnd + ",\"current_period_start\":" + periodStart + ",";
        String itemId = id("si");
        return """
                "object":{"id":"%s","object":"subscription","application":null,"application_fee_percent":null,\
                "automatic_tax":{"disabled_reason":null,"enabled":false,"liability":null},\
                "billing_cycle_anchor":%d,"billing_mode":{"type":"classic"},"cancel_at":null,\
                "cancel_at_period_end":false,"canceled_at":%s,\
                "cancellation_details":{"comment":null,"feedback":null,"reason":%s},\
                "collection_method":"charge_automatically","created":%d,"currency":"eur",%s\
                "customer":"%s","days_until_due":null,"default_payment_method":"pm_1QcardVisa0000000000000",\
                "description":null,"discounts":[],"ended_at":%s,"invoice_settings":{"account_tax_ids":null,\
                "issuer":{"type":"self"}},"items":{"object":"list","data":[{"id":"%s","object":"subscription_item",\
                "created":%d,%s"discounts":[],"metadata":{},"plan":{"id":"%s","object":"plan","active":true,\
                "amount":2900,"amount_decimal":"2900","billing_scheme":"per_unit","currency":"eur",\
                "interval":"month","interval_count":1,"livemode":false,"product":"prod_RparleyPro00000",\
                "usage_type":"licensed"},"price":{"id":"%s","object":"price","active":true,\
                "billing_scheme":"per_unit","created":1730000000,"currency":"eur","livemode":false,\
                "lookup_key":null,"metadata":{},"nickname":null,"product":"prod_RparleyPro00000",\
                "recurring":{"interval":"month","interval_count":1,"meter":null,"usage_type":"licensed"},\
                "tax_behavior":"unspecified","type":"recurring","unit_amount":2900,"unit_amount_decimal":"2900"},\
                "quantity":1,"subscription":"%s","tax_rates":[]}],"has_more":false,"total_count":1,\
                "url":"/v1/subscription_items?subscription=%s"},"latest_invoice":"in_1QlatestInvoice000000000",\
                "livemode":false,"metadata":%s,"on_behalf_of":null,"pause_collection":null,\
                "payment_settings":{"payment_method_options":null,"payment_method_types":null,\
                "save_default_payment_method":"off"},"pending_update":null,"schedule":null,"start_date":%d,\
                "status":"%s","test_clock":null,"transfer_data":null,"trial_end":null,\
                "trial_settings":{"end_behavior":{"missing_payment_method":"create_invoice"}},"trial_start":null}\
                """.formatted(c.subscriptionId(), periodStart, "canceled".equals(status) ? periodEnd : "null",
                "canceled".equals(status) ? "\"cancellation_requested\"" : "null", periodStart, subscriptionPeriod,
                c.customerId(), "canceled".equals(status) ? periodEnd : "null", itemId, periodStart, itemPeriod,
                price, price, c.subscriptionId(), c.subscriptionId(), metadata, periodStart, status);
    }

    /**
     * {@code invoice.paid} or {@code invoice.payment_failed} of the library's API version: the subscription under
     * {@code parent.subscription_details}.
     */
    public static Delivery invoiceEvent(String type, long created, Customer c, String billingReason) {
        String eventId = id("evt");
        boolean paid = type.equals("invoice.paid");
        String details = "\"parent\":{\"quote_details\":null,\"subscription_details\":{\"metadata\":"
                + tenantMetadata(c) + ",\"subscription\":\"" + c.subscriptionId() + "\"},"
                + "\"type\":\"subscription_details\"},";
        return new Delivery(eventId, type, created, c.subscriptionId(),
                envelope(eventId, type, created, Stripe.API_VERSION, invoiceObject(c, paid, billingReason, created,
                        details)));
    }

    /** The same for an older API version: {@code subscription} and {@code subscription_details} on the invoice. */
    public static Delivery oldInvoiceEvent(String type, long created, Customer c, String billingReason) {
        String eventId = id("evt");
        boolean paid = type.equals("invoice.paid");
        String details = "\"subscription\":\"" + c.subscriptionId() + "\",\"subscription_details\":{\"metadata\":"
                + tenantMetadata(c) + "},";
        return new Delivery(eventId, type, created, c.subscriptionId(),
                envelope(eventId, type, created, OLD_API_VERSION, invoiceObject(c, paid, billingReason, created,
                        details)));
    }

    private static String tenantMetadata(Customer c) {
        return c.tenantId() == null ? "{}" : "{\"parley_tenant_id\":\"" + c.tenantId() + "\"}";
    }

    private static String invoiceObject(Customer c, boolean paid, String billingReason, long created, String details) {
        return """
                "object":{"id":"%s","object":"invoice","account_country":"DE","account_name":"Parley Test",\
                "amount_due":2900,"amount_overpaid":0,"amount_paid":%d,"amount_remaining":%d,"attempt_count":1,\
                "attempted":true,"auto_advance":%s,"billing_reason":"%s","collection_method":"charge_automatically",\
                "created":%d,"currency":"eur","customer":"%s","customer_email":"ada@example.com",\
                "hosted_invoice_url":"https://invoice.stripe.com/i/acct_test/test_inv","lines":{"object":"list",\
                "data":[],"has_more":false,"total_count":1,"url":"/v1/invoices/in_x/lines"},"livemode":false,\
                "metadata":{},"next_payment_attempt":%s,"number":"PARLEY-0001",%s"period_end":%d,\
                "period_start":%d,"status":"%s","status_transitions":{"finalized_at":%d,"paid_at":%s},\
                "subtotal":2900,"total":2900}\
                """.formatted(id("in"), paid ? 2900 : 0, paid ? 0 : 2900, paid ? "false" : "true", billingReason,
                created, c.customerId(), paid ? "null" : String.valueOf(created + 3 * 86400), details, created,
                created - 30L * 86400, paid ? "paid" : "open", created, paid ? String.valueOf(created) : "null");
    }

    /** {@code checkout.session.completed} in subscription mode, naming the tenant by {@code client_reference_id}. */
    public static Delivery checkoutCompleted(long created, Customer c, String clientReferenceId) {
        String eventId = id("evt");
        String object = """
                "object":{"id":"%s","object":"checkout.session","amount_subtotal":2900,"amount_total":2900,\
                "billing_address_collection":null,"cancel_url":"https://parley.example/billing/cancel",\
                "client_reference_id":%s,"created":%d,"currency":"eur","customer":"%s",\
                "customer_details":{"email":"ada@example.com","name":"Ada Lovelace","tax_exempt":"none"},\
                "expires_at":%d,"invoice":"in_1QfirstInvoice0000000000","livemode":false,"locale":null,\
                "metadata":{},"mode":"subscription","payment_status":"paid","status":"complete",\
                "subscription":"%s","success_url":"https://parley.example/billing/done","total_details":\
                {"amount_discount":0,"amount_shipping":0,"amount_tax":0},"ui_mode":"hosted","url":null}\
                """.formatted(id("cs_test"), clientReferenceId == null ? "null" : "\"" + clientReferenceId + "\"",
                created - 60, c.customerId(), created + 86400, c.subscriptionId());
        return new Delivery(eventId, "checkout.session.completed", created, c.subscriptionId(),
                envelope(eventId, "checkout.session.completed", created, Stripe.API_VERSION, object));
    }

    /** An event type Parley does not act on. */
    public static Delivery customerCreated(long created) {
        String eventId = id("evt");
        String object = "\"object\":{\"id\":\"" + id("cus") + "\",\"object\":\"customer\",\"created\":" + created
                + ",\"email\":\"ada@example.com\",\"livemode\":false,\"metadata\":{},\"name\":\"Ada Lovelace\"}";
        return new Delivery(eventId, "customer.created", created, null,
                envelope(eventId, "customer.created", created, Stripe.API_VERSION, object));
    }

    private static String envelope(String eventId, String type, long created, String apiVersion, String data) {
        return "{\"id\":\"" + eventId + "\",\"object\":\"event\",\"api_version\":\"" + apiVersion + "\",\"created\":"
                + created + ",\"data\":{" + data + "},\"livemode\":false,\"pending_webhooks\":1,\"request\":{\"id\":"
                + "\"req_" + eventId.substring(4, 18) + "\",\"idempotency_key\":\"" + java.util.UUID.randomUUID()
                + "\"},\"type\":\"" + type + "\"}";
    }
}
