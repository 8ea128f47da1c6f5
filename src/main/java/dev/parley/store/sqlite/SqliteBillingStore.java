package dev.parley.store.sqlite;

import static dev.parley.store.sqlite.SqliteCodec.getId;
import static dev.parley.store.sqlite.SqliteCodec.getInstant;
import static dev.parley.store.sqlite.SqliteCodec.setId;
import static dev.parley.store.sqlite.SqliteCodec.setInstant;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.parley.store.BillingStore;
import dev.parley.store.EventMark;
import dev.parley.store.StripeEvent;
import dev.parley.store.Subscription;
import dev.parley.store.SubscriptionTransition;
import dev.parley.store.TextCursor;
import dev.parley.store.Timestamps;
import dev.parley.store.UuidV7;
import io.smallrye.mutiny.Uni;

/**
 * Billing on SQLite. {@link #receive} is one writer job: the writer's {@code BEGIN IMMEDIATE} transaction holds the
 * database's only write lock, so the job sees and changes the subscription with no other write in between, which is
 * what the row lock does on PostgreSQL.
 */
@ApplicationScoped
@Typed(SqliteBillingStore.class)
public class SqliteBillingStore implements BillingStore {

    private static final String SUBSCRIPTION_COLUMNS = "id, tenant_id, customer_id, status, status_since, price_id, "
            + "current_period_end, snapshot_status, last_state_event_created, last_state_event_id, invoice_outcome, "
            + "last_invoice_event_created, last_invoice_event_id, created_at, updated_at";
    private static final String EVENT_COLUMNS = "event_id, type, api_version, livemode, created_at, received_at, "
            + "subscription_id, customer_id, claimed_tenant, tenant_id, outcome";

    private final SqliteWriter writer;
    private final SqliteReaders readers;

    SqliteBillingStore(SqliteWriter writer, SqliteReaders readers) {
        this.writer = writer;
        this.readers = readers;
    }

    @Override
    public Uni<Receipt> receive(StripeEvent event, Optional<UUID> claimedTenant, Rules rules) {
        return writer.submit("stripe-event", c -> {
            if (event.subscriptionId() == null) {
                return insertEvent(c, event) ? new Receipt(false, event, null, null) : Receipt.duplicate(event);
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT OR IGNORE INTO billing_subscriptions "
                    + "(id, created_at, updated_at) VALUES (?, ?, ?)")) {
                ps.setString(1, event.subscriptionId());
                setInstant(ps, 2, event.receivedAt());
                setInstant(ps, 3, event.receivedAt());
                ps.executeUpdate();
            }
            Subscription current = findSubscription(c, event.subscriptionId());
            // a linked subscription never changes tenant: no need to look the claim up
            Optional<UUID> known = current.tenantId() == null && claimedTenant.isPresent()
                    && tenantExists(c, claimedTenant.get()) ? claimedTenant : Optional.empty();
            Decision decision = rules.decide(current, known);
            Subscription next = decision.next();
            StripeEvent stored = event.matched(next.tenantId(), decision.outcome());
            if (!insertEvent(c, stored)) {
                return Receipt.duplicate(event);
            }
            if (!next.equals(current)) {
                updateSubscription(c, next);
            }
            if (!Objects.equals(current.status(), next.status())) {
                insertTransition(c, new SubscriptionTransition(UuidV7.next(), next.id(), next.tenantId(),
                        current.status(), next.status(), event.id(), Timestamps.now()));
            }
            if (current.tenantId() == null && next.tenantId() != null) {
                linkEarlierRows(c, next.id(), next.tenantId());
            }
            return new Receipt(false, stored, current, next);
        });
    }

    private static boolean tenantExists(Connection c, UUID tenant) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM tenants WHERE id = ?")) {
            setId(ps, 1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** @return false when an event with this id is already stored */
    private static boolean insertEvent(Connection c, StripeEvent e) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT OR IGNORE INTO stripe_events (" + EVENT_COLUMNS
                + ", payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, e.id());
            ps.setString(2, e.type());
            ps.setString(3, e.apiVersion());
            ps.setInt(4, e.livemode() ? 1 : 0);
            setInstant(ps, 5, e.createdAt());
            setInstant(ps, 6, e.receivedAt());
            ps.setString(7, e.subscriptionId());
            ps.setString(8, e.customerId());
            ps.setString(9, e.claimedTenant());
            setId(ps, 10, e.tenantId());
            ps.setString(11, e.outcome());
            ps.setString(12, e.payload());
            return ps.executeUpdate() == 1;
        }
    }

    private static Subscription findSubscription(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + SUBSCRIPTION_COLUMNS
                + " FROM billing_subscriptions WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("subscription " + id + " vanished inside its own transaction");
                }
                return subscription(rs);
            }
        }
    }

    private static void updateSubscription(Connection c, Subscription s) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE billing_subscriptions SET tenant_id = ?, "
                + "customer_id = ?, status = ?, status_since = ?, price_id = ?, current_period_end = ?, "
                + "snapshot_status = ?, last_state_event_created = ?, last_state_event_id = ?, invoice_outcome = ?, "
                + "last_invoice_event_created = ?, last_invoice_event_id = ?, updated_at = ? WHERE id = ?")) {
            setId(ps, 1, s.tenantId());
            ps.setString(2, s.customerId());
            ps.setString(3, s.status());
            setInstant(ps, 4, s.statusSince());
            ps.setString(5, s.priceId());
            setInstant(ps, 6, s.currentPeriodEnd());
            ps.setString(7, s.snapshotStatus());
            setInstant(ps, 8, s.lastStateEvent() == null ? null : s.lastStateEvent().created());
            ps.setString(9, s.lastStateEvent() == null ? null : s.lastStateEvent().eventId());
            ps.setString(10, s.invoiceOutcome());
            setInstant(ps, 11, s.lastInvoiceEvent() == null ? null : s.lastInvoiceEvent().created());
            ps.setString(12, s.lastInvoiceEvent() == null ? null : s.lastInvoiceEvent().eventId());
            setInstant(ps, 13, s.updatedAt());
            ps.setString(14, s.id());
            ps.executeUpdate();
        }
    }

    private static void insertTransition(Connection c, SubscriptionTransition t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO billing_transitions (id, subscription_id, "
                + "tenant_id, from_status, to_status, event_id, applied_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            setId(ps, 1, t.id());
            ps.setString(2, t.subscriptionId());
            setId(ps, 3, t.tenantId());
            ps.setString(4, t.fromStatus());
            ps.setString(5, t.toStatus());
            ps.setString(6, t.eventId());
            setInstant(ps, 7, t.appliedAt());
            ps.executeUpdate();
        }
    }

    /** The subscription has just been linked: what was recorded about it before belongs to that tenant too. */
    private static void linkEarlierRows(Connection c, String subscriptionId, UUID tenant) throws SQLException {
        for (String table : List.of("stripe_events", "billing_transitions")) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + table
                    + " SET tenant_id = ? WHERE subscription_id = ? AND tenant_id IS NULL")) {
                setId(ps, 1, tenant);
                ps.setString(2, subscriptionId);
                ps.executeUpdate();
            }
        }
    }

    @Override
    public Uni<List<Subscription>> subscriptionsOf(UUID tenantId) {
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + SUBSCRIPTION_COLUMNS
                    + " FROM billing_subscriptions WHERE tenant_id = ?")) {
                setId(ps, 1, tenantId);
                List<Subscription> found = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        found.add(subscription(rs));
                    }
                }
                return found;
            }
        });
    }

    @Override
    public Uni<List<SubscriptionTransition>> transitions(String subscriptionId) {
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, subscription_id, tenant_id, from_status, "
                    + "to_status, event_id, applied_at FROM billing_transitions WHERE subscription_id = ? "
                    + "ORDER BY applied_at, id")) {
                ps.setString(1, subscriptionId);
                List<SubscriptionTransition> found = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        found.add(new SubscriptionTransition(getId(rs, "id"), rs.getString("subscription_id"),
                                getId(rs, "tenant_id"), rs.getString("from_status"), rs.getString("to_status"),
                                rs.getString("event_id"), getInstant(rs, "applied_at")));
                    }
                }
                return found;
            }
        });
    }

    @Override
    public Uni<EventPage> events(boolean unmatchedOnly, TextCursor after, int limit) {
        String sql = "SELECT " + EVENT_COLUMNS + " FROM stripe_events WHERE 1 = 1"
                + (unmatchedOnly ? " AND tenant_id IS NULL AND subscription_id IS NOT NULL" : "")
                + (after == null ? "" : " AND (received_at < ? OR (received_at = ? AND event_id < ?))")
                + " ORDER BY received_at DESC, event_id DESC LIMIT ?";
        return readers.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                if (after != null) {
                    setInstant(ps, i++, after.at());
                    setInstant(ps, i++, after.at());
                    ps.setString(i++, after.id());
                }
                ps.setInt(i, limit + 1);
                List<StripeEvent> rows = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new StripeEvent(rs.getString("event_id"), rs.getString("type"),
                                rs.getString("api_version"), rs.getInt("livemode") == 1, getInstant(rs, "created_at"),
                                getInstant(rs, "received_at"), rs.getString("subscription_id"),
                                rs.getString("customer_id"), rs.getString("claimed_tenant"), getId(rs, "tenant_id"),
                                rs.getString("outcome"), null));
                    }
                }
                return EventPage.of(rows, limit);
            }
        });
    }

    private static Subscription subscription(ResultSet rs) throws SQLException {
        return new Subscription(rs.getString("id"), getId(rs, "tenant_id"), rs.getString("customer_id"),
                rs.getString("status"), getInstant(rs, "status_since"), rs.getString("price_id"),
                getInstant(rs, "current_period_end"), rs.getString("snapshot_status"),
                EventMark.of(getInstant(rs, "last_state_event_created"), rs.getString("last_state_event_id")),
                rs.getString("invoice_outcome"),
                EventMark.of(getInstant(rs, "last_invoice_event_created"), rs.getString("last_invoice_event_id")),
                getInstant(rs, "created_at"), getInstant(rs, "updated_at"));
    }
}
