package dev.parley.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.stripe.Stripe;
import com.stripe.model.Event;
import com.stripe.net.Webhook;

import dev.parley.billing.StripeFixtures.Customer;
import dev.parley.billing.StripeFixtures.Delivery;

/** Reading Stripe events of the library's API version and of an older one. */
class StripeEventParserTest {

    private static final long T = 1_790_000_000L;
    private final Customer customer = Customer.of(UUID.randomUUID());

    private static ParsedEvent parse(Delivery d) throws Exception {
        long now = Instant.now().getEpochSecond();
        Event event = Webhook.constructEvent(d.payload(), StripeFixtures.signature(StripeFixtures.SECRET, now,
                d.payload()), StripeFixtures.SECRET, 300);
        return StripeEventParser.parse(event, new ObjectMapper().readTree(d.payload()),
                StripeFixtures.PRO_PRICE::equals);
    }

    @Test
    void aSubscriptionEventOfTheLibrarysVersionGivesStatusPricePeriodAndTenant() throws Exception {
        Delivery d = StripeFixtures.subscriptionEvent("customer.subscription.updated", T, customer, "active",
                StripeFixtures.PRO_PRICE, true);
        ParsedEvent e = parse(d);
        assertThat(e.apiVersion()).isEqualTo(Stripe.API_VERSION);
        assertThat(e.kind()).isEqualTo(ParsedEvent.Kind.SUBSCRIPTION);
        assertThat(e.id()).isEqualTo(d.eventId());
        assertThat(e.created()).isEqualTo(Instant.ofEpochSecond(T));
        assertThat(e.subscriptionId()).isEqualTo(customer.subscriptionId());
        assertThat(e.customerId()).isEqualTo(customer.customerId());
        assertThat(e.claimedTenant()).isEqualTo(customer.tenantId());
        assertThat(e.status()).isEqualTo("active");
        assertThat(e.priceId()).isEqualTo(StripeFixtures.PRO_PRICE);
        assertThat(e.currentPeriodEnd()).isEqualTo(Instant.ofEpochSecond(T - 3600 + 30L * 86400));
    }

    @Test
    void anOlderVersionsSubscriptionEventIsReadThroughDeserializeUnsafe() throws Exception {
        ParsedEvent e = parse(StripeFixtures.oldSubscriptionEvent("customer.subscription.created", T, customer,
                "trialing", StripeFixtures.PRO_PRICE));
        assertThat(e.apiVersion()).isEqualTo(StripeFixtures.OLD_API_VERSION);
        assertThat(e.status()).isEqualTo("trialing");
        assertThat(e.priceId()).isEqualTo(StripeFixtures.PRO_PRICE);
        assertThat(e.claimedTenant()).isEqualTo(customer.tenantId());
        assertThat(e.currentPeriodEnd()).as("period end from the subscription itself, as older versions keep it")
                .isEqualTo(Instant.ofEpochSecond(T - 3600 + 30L * 86400));
    }

    @Test
    void invoiceEventsOfBothShapesNameTheirSubscriptionAndTenant() throws Exception {
        ParsedEvent current = parse(StripeFixtures.invoiceEvent("invoice.payment_failed", T, customer,
                "subscription_cycle"));
        ParsedEvent old = parse(StripeFixtures.oldInvoiceEvent("invoice.payment_failed", T, customer,
                "subscription_cycle"));
        for (ParsedEvent e : new ParsedEvent[] { current, old }) {
            assertThat(e.kind()).isEqualTo(ParsedEvent.Kind.INVOICE);
            assertThat(e.subscriptionId()).isEqualTo(customer.subscriptionId());
            assertThat(e.claimedTenant()).isEqualTo(customer.tenantId());
            assertThat(e.invoiceOutcome()).isEqualTo("payment_failed");
        }
    }

    @Test
    void theFirstInvoiceFailingIsToldApartFromARenewalFailing() throws Exception {
        assertThat(parse(StripeFixtures.invoiceEvent("invoice.payment_failed", T, customer, "subscription_create"))
                .invoiceOutcome()).isEqualTo("first_payment_failed");
        assertThat(parse(StripeFixtures.invoiceEvent("invoice.paid", T, customer, "subscription_create"))
                .invoiceOutcome()).isEqualTo("paid");
    }

    @Test
    void aCheckoutCompletionLinksByClientReferenceId() throws Exception {
        ParsedEvent e = parse(StripeFixtures.checkoutCompleted(T, customer, customer.tenantId()));
        assertThat(e.kind()).isEqualTo(ParsedEvent.Kind.CHECKOUT);
        assertThat(e.subscriptionId()).isEqualTo(customer.subscriptionId());
        assertThat(e.claimedTenant()).isEqualTo(customer.tenantId());
    }

    @Test
    void otherEventTypesAreIgnoredAndConcernNoSubscription() throws Exception {
        ParsedEvent e = parse(StripeFixtures.customerCreated(T));
        assertThat(e.kind()).isEqualTo(ParsedEvent.Kind.IGNORED);
        assertThat(e.subscriptionId()).isNull();
    }

    @Test
    void aSubscriptionEventWithoutStatusIsMalformed() throws Exception {
        Delivery d = StripeFixtures.subscriptionEvent("customer.subscription.updated", T, customer, "active",
                StripeFixtures.PRO_PRICE, true);
        Delivery broken = new Delivery(d.eventId(), d.type(), d.created(), d.subscriptionId(),
                d.payload().replace("\"status\":\"active\",", ""));
        assertThatThrownBy(() -> parse(broken)).isInstanceOf(WebhookRejected.class)
                .hasMessageContaining("subscription status");
    }
}
