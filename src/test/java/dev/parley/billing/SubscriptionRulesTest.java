package dev.parley.billing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.stripe.net.Webhook;

import dev.parley.billing.StripeFixtures.Customer;
import dev.parley.billing.StripeFixtures.Delivery;
import dev.parley.store.BillingStore;
import dev.parley.store.Subscription;

/**
 * The subscription state machine on its own: what each event does, and that every delivery order of one
 * subscription's events ends in the same state.
 */
class SubscriptionRulesTest {

    private static final long T = 1_790_000_000L;
    private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
    private final UUID tenant = UUID.randomUUID();
    private final Customer customer = Customer.of(tenant);

    private static ParsedEvent parse(Delivery d) {
        try {
            long now = Instant.now().getEpochSecond();
            return StripeEventParser.parse(Webhook.constructEvent(d.payload(), StripeFixtures.signature(
                    StripeFixtures.SECRET, now, d.payload()), StripeFixtures.SECRET, 300),
                    new ObjectMapper().readTree(d.payload()), p -> true);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private record Applied(Subscription state, List<String> outcomes, int transitions) {
    }

    /** Applies the events in the given order as the store would: each to the state the previous one left. */
    private Applied deliver(List<ParsedEvent> events) {
        Subscription state = Subscription.blank(customer.subscriptionId(), NOW);
        List<String> outcomes = new ArrayList<>();
        int transitions = 0;
        for (ParsedEvent e : events) {
            Optional<UUID> known = Optional.ofNullable(e.claimedTenant()).map(UUID::fromString);
            BillingStore.Decision d = new SubscriptionRules(e, NOW).decide(state, known);
            if (!java.util.Objects.equals(state.status(), d.next().status())) {
                transitions++;
            }
            state = d.next();
            outcomes.add(d.outcome());
        }
        return new Applied(state, outcomes, transitions);
    }

    private ParsedEvent sub(String type, long at, String status) {
        return parse(StripeFixtures.subscriptionEvent(type, at, customer, status, StripeFixtures.PRO_PRICE, true));
    }

    private ParsedEvent invoice(String type, long at, String reason) {
        return parse(StripeFixtures.invoiceEvent(type, at, customer, reason));
    }

    /** A subscription's life as Stripe reports it, including two pairs of events within the same second. */
    private List<ParsedEvent> lifecycle() {
        return List.of(
                sub("customer.subscription.created", T, "incomplete"),
                parse(StripeFixtures.checkoutCompleted(T + 1, customer, tenant.toString())),
                invoice("invoice.paid", T + 1, "subscription_create"),
                sub("customer.subscription.updated", T + 1, "active"),
                invoice("invoice.payment_failed", T + 100, "subscription_cycle"),
                sub("customer.subscription.updated", T + 100, "past_due"),
                invoice("invoice.paid", T + 200, "subscription_cycle"),
                sub("customer.subscription.updated", T + 201, "active"),
                sub("customer.subscription.paused", T + 300, "paused"),
                sub("customer.subscription.resumed", T + 400, "active"),
                sub("customer.subscription.deleted", T + 500, "canceled"));
    }

    @Test
    void eventsInOrderWalkThroughTheLifecycle() {
        List<ParsedEvent> events = lifecycle();
        List<String> statuses = new ArrayList<>();
        Subscription state = Subscription.blank(customer.subscriptionId(), NOW);
        for (ParsedEvent e : events) {
            state = new SubscriptionRules(e, NOW).decide(state, Optional.of(tenant)).next();
            statuses.add(state.status());
        }
        assertThat(statuses).containsExactly("incomplete", "incomplete", "active", "active", "past_due", "past_due",
                "active", "active", "paused", "active", "canceled");
        assertThat(state.tenantId()).isEqualTo(tenant);
        assertThat(state.priceId()).isEqualTo(StripeFixtures.PRO_PRICE);
    }

    @Test
    void everyDeliveryOrderEndsInTheSameState() {
        List<ParsedEvent> events = lifecycle();
        Subscription inOrder = deliver(events).state();
        Random random = new Random(15);
        for (int i = 0; i < 3000; i++) {
            List<ParsedEvent> shuffled = new ArrayList<>(events);
            Collections.shuffle(shuffled, random);
            Subscription end = deliver(shuffled).state();
            assertThat(end).usingRecursiveComparison().ignoringFields("statusSince", "updatedAt")
                    .as("order %s", shuffled.stream().map(ParsedEvent::type).toList()).isEqualTo(inOrder);
        }
    }

    @Test
    void everyPermutationOfARenewalFailureAndRecoveryConverges() {
        List<ParsedEvent> events = List.of(
                sub("customer.subscription.created", T, "active"),
                invoice("invoice.payment_failed", T + 100, "subscription_cycle"),
                sub("customer.subscription.updated", T + 100, "past_due"),
                invoice("invoice.payment_failed", T + 200, "subscription_cycle"),
                invoice("invoice.paid", T + 300, "subscription_cycle"),
                sub("customer.subscription.updated", T + 300, "active"));
        String expected = deliver(events).state().status();
        assertThat(expected).isEqualTo("active");
        permutations(new ArrayList<>(events), 0, order -> assertThat(deliver(order).state().status())
                .as("order %s", order.stream().map(ParsedEvent::type).toList()).isEqualTo(expected));
    }

    private static void permutations(List<ParsedEvent> items, int from,
            java.util.function.Consumer<List<ParsedEvent>> check) {
        if (from == items.size()) {
            check.accept(List.copyOf(items));
            return;
        }
        for (int i = from; i < items.size(); i++) {
            Collections.swap(items, from, i);
            permutations(items, from + 1, check);
            Collections.swap(items, from, i);
        }
    }

    @Test
    void anOlderSnapshotThanTheOneAppliedIsStaleAndChangesNothing() {
        Applied a = deliver(List.of(sub("customer.subscription.updated", T + 10, "active"),
                sub("customer.subscription.created", T, "incomplete")));
        assertThat(a.outcomes()).containsExactly("applied", "stale");
        assertThat(a.state().status()).isEqualTo("active");
    }

    @Test
    void aFailedRenewalMakesAnActiveSubscriptionPastDueAndAPaidInvoiceRecoversIt() {
        Subscription active = deliver(List.of(sub("customer.subscription.created", T, "active"))).state();
        Subscription failed = new SubscriptionRules(invoice("invoice.payment_failed", T + 10, "subscription_cycle"),
                NOW).decide(active, Optional.of(tenant)).next();
        assertThat(failed.status()).isEqualTo("past_due");
        assertThat(failed.statusSince()).isEqualTo(Instant.ofEpochSecond(T + 10));
        Subscription paid = new SubscriptionRules(invoice("invoice.paid", T + 20, "subscription_cycle"), NOW)
                .decide(failed, Optional.of(tenant)).next();
        assertThat(paid.status()).isEqualTo("active");
    }

    @Test
    void theFirstInvoiceFailingLeavesTheSubscriptionIncompleteNotPastDue() {
        Applied a = deliver(List.of(invoice("invoice.payment_failed", T, "subscription_create")));
        assertThat(a.state().status()).isEqualTo("incomplete");
    }

    @Test
    void aPaidInvoiceDoesNotReviveACanceledSubscription() {
        Applied a = deliver(List.of(sub("customer.subscription.deleted", T, "canceled"),
                invoice("invoice.paid", T + 10, "subscription_cycle")));
        assertThat(a.state().status()).isEqualTo("canceled");
    }

    @Test
    void aSubscriptionIsLinkedOnceToTheFirstKnownTenant() {
        Subscription linked = deliver(List.of(sub("customer.subscription.created", T, "active"))).state();
        UUID other = UUID.randomUUID();
        BillingStore.Decision d = new SubscriptionRules(parse(StripeFixtures.checkoutCompleted(T + 5, customer,
                other.toString())), NOW).decide(linked, Optional.of(other));
        assertThat(d.next().tenantId()).isEqualTo(tenant);
        assertThat(d.outcome()).isEqualTo("linked");
    }

    @Test
    void anEventThatChangesNothingLeavesTheRowAsItWas() {
        ParsedEvent created = sub("customer.subscription.created", T, "active");
        Subscription state = deliver(List.of(created)).state();
        BillingStore.Decision again = new SubscriptionRules(created, NOW.plusSeconds(60)).decide(state,
                Optional.of(tenant));
        assertThat(again.outcome()).isEqualTo("stale");
        assertThat(again.next()).isEqualTo(state);
    }
}
