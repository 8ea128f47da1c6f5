-- Stripe billing (payment webhooks, subscriptions, their transitions). Same tables and columns as the PostgreSQL
-- dialect. Stripe's ids (evt_..., sub_..., cus_..., price_...) are kept as Stripe spells them (TEXT, compared by
-- their bytes, as PostgreSQL's COLLATE "C" does); instants are epoch microseconds.

-- Every verified webhook event, once: the primary key is what makes a redelivery a no-op.
CREATE TABLE stripe_events (
    event_id        TEXT    NOT NULL PRIMARY KEY,
    type            TEXT    NOT NULL,
    api_version     TEXT,
    livemode        INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    created_at      INTEGER NOT NULL,
    received_at     INTEGER NOT NULL,
    subscription_id TEXT,
    customer_id     TEXT,
    claimed_tenant  TEXT,
    tenant_id       TEXT    REFERENCES tenants (id) ON DELETE SET NULL,
    outcome         TEXT    NOT NULL,
    payload         TEXT    NOT NULL CHECK (json_valid(payload))
);
CREATE INDEX stripe_events_received ON stripe_events (received_at, event_id);
-- Events about a subscription that no known tenant owns: the admins' "unmatched" list, small by nature.
CREATE INDEX stripe_events_unmatched ON stripe_events (received_at, event_id)
    WHERE tenant_id IS NULL AND subscription_id IS NOT NULL;
CREATE INDEX stripe_events_subscription ON stripe_events (subscription_id);

-- One row per Stripe subscription. status is the effective status (NULL until an event tells it); the two
-- "last ..._event" pairs are the newest applied subscription snapshot and invoice outcome, by (created, id).
CREATE TABLE billing_subscriptions (
    id                         TEXT    NOT NULL PRIMARY KEY,
    tenant_id                  TEXT    REFERENCES tenants (id) ON DELETE SET NULL,
    customer_id                TEXT,
    status                     TEXT,
    status_since               INTEGER,
    price_id                   TEXT,
    current_period_end         INTEGER,
    snapshot_status            TEXT,
    last_state_event_created   INTEGER,
    last_state_event_id        TEXT,
    invoice_outcome            TEXT,
    last_invoice_event_created INTEGER,
    last_invoice_event_id      TEXT,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
);
-- The entitlement read: a tenant's subscriptions, one index lookup.
CREATE INDEX billing_subscriptions_tenant ON billing_subscriptions (tenant_id);

-- Audit: every change of a subscription's effective status, with the event that caused it (at most one per event).
CREATE TABLE billing_transitions (
    id              TEXT    NOT NULL PRIMARY KEY,
    subscription_id TEXT    NOT NULL REFERENCES billing_subscriptions (id),
    tenant_id       TEXT    REFERENCES tenants (id) ON DELETE SET NULL,
    from_status     TEXT,
    to_status       TEXT    NOT NULL,
    event_id        TEXT    NOT NULL UNIQUE REFERENCES stripe_events (event_id),
    applied_at      INTEGER NOT NULL
);
CREATE INDEX billing_transitions_subscription ON billing_transitions (subscription_id, applied_at, id);
