/**
 * Billing: Stripe payment webhooks applied exactly once, each subscription's state machine, and the plans that turn
 * a subscription into a tenant's monthly token budget.
 *
 * <p>
 * A webhook is verified with Stripe's own library ({@code Webhook.constructEvent}, against every configured secret),
 * parsed ({@link dev.parley.billing.StripeEventParser}), and handed to
 * {@link dev.parley.store.BillingStore#receive}, which stores the event and applies
 * {@link dev.parley.billing.SubscriptionRules} to the subscription in one transaction, under the subscription's lock.
 * A subscription holds two "newest wins" registers, each changed only by an event later (by {@code created}, then
 * id) than the one it holds: the newest {@code customer.subscription.*} snapshot and the newest invoice outcome. Its
 * effective status is a function of the two, so any delivery order ends in the same state.
 *
 * <p>
 * {@link dev.parley.billing.Entitlements#monthlyTokenBudget} is what the usage limits read.
 */
package dev.parley.billing;
