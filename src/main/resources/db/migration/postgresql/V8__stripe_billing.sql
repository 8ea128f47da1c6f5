-- Stripe billing (payment webhooks, subscriptions, their transitions). Same tables and columns as the SQLite
-- dialect. Stripe's ids (evt_..., sub_..., cus_..., price_...) are kept as Stripe spells them; the keys use the C
-- collation, so that their order is byte order as in SQLite and copy-data's key-ordered scans use the primary key.

-- Every verified webhook event, once: the primary key is what makes a redelivery a no-op, across replicas too.
CREATE TABLE stripe_events (
    event_id        text COLLATE "C" NOT NULL PRIMARY KEY,
    type            text        NOT NULL,
    api_version     text,
    livemode        boolean     NOT NULL,
    created_at      timestamptz NOT NULL,
    received_at     timestamptz NOT NULL,
    subscription_id text COLLATE "C",
    customer_id     text,
    claimed_tenant  text,
    tenant_id       uuid        REFERENCES tenants (id) ON DELETE SET NULL,
    outcome         text        NOT NULL,
    payload         jsonb       NOT NULL
);
CREATE INDEX stripe_events_received ON stripe_events (received_at, event_id);
-- Events about a subscription that no known tenant owns: the admins' "unmatched" list, small by nature.
CREATE INDEX stripe_events_unmatched ON stripe_events (received_at, event_id)
    WHERE tenant_id IS NULL AND subscription_id IS NOT NULL;
CREATE INDEX stripe_events_subscription ON stripe_events (subscription_id);

-- One row per Stripe subscription, taken FOR UPDATE by each event that concerns it. status is the effective status
-- (NULL until an event tells it); the two "last ..._event" pairs are the newest applied subscription snapshot and
-- invoice outcome, by (created, id).
CREATE TABLE billing_subscriptions (
    id                         text COLLATE "C" NOT NULL PRIMARY KEY,
    tenant_id                  uuid        REFERENCES tenants (id) ON DELETE SET NULL,
    customer_id                text,
    status                     text,
    status_since               timestamptz,
    price_id                   text,
    current_period_end         timestamptz,
    snapshot_status            text,
    last_state_event_created   timestamptz,
    last_state_event_id        text COLLATE "C",
    invoice_outcome            text,
    last_invoice_event_created timestamptz,
    last_invoice_event_id      text COLLATE "C",
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL
);
-- The entitlement read: a tenant's subscriptions, one index lookup.
CREATE INDEX billing_subscriptions_tenant ON billing_subscriptions (tenant_id);

-- Audit: every change of a subscription's effective status, with the event that caused it (at most one per event).
CREATE TABLE billing_transitions (
    id              uuid        NOT NULL PRIMARY KEY,
    subscription_id text COLLATE "C" NOT NULL REFERENCES billing_subscriptions (id),
    tenant_id       uuid        REFERENCES tenants (id) ON DELETE SET NULL,
    from_status     text,
    to_status       text        NOT NULL,
    event_id        text COLLATE "C" NOT NULL UNIQUE REFERENCES stripe_events (event_id),
    applied_at      timestamptz NOT NULL
);
CREATE INDEX billing_transitions_subscription ON billing_transitions (subscription_id, applied_at, id);
