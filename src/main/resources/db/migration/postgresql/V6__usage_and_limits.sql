-- Usage accounting and limits. Same tables and columns as the SQLite dialect.

-- Who spent a reply and with which model: written with every assistant message, so that usage can always be
-- recomputed from the messages themselves. NULL for replies stored before V6 (their model comes from the
-- conversation in the backfill below).
ALTER TABLE messages ADD COLUMN key_id uuid;
ALTER TABLE messages ADD COLUMN model text;

-- Limits (NULL = unlimited): per tenant (set by admins) and per key (set by the tenant, never above its tenant's).
ALTER TABLE tenants ADD COLUMN requests_per_minute bigint;
ALTER TABLE tenants ADD COLUMN tokens_per_minute bigint;
ALTER TABLE tenants ADD COLUMN concurrent_turns bigint;
ALTER TABLE tenants ADD COLUMN monthly_token_budget bigint;
ALTER TABLE api_keys ADD COLUMN requests_per_minute bigint;
ALTER TABLE api_keys ADD COLUMN tokens_per_minute bigint;
ALTER TABLE api_keys ADD COLUMN concurrent_turns bigint;
ALTER TABLE api_keys ADD COLUMN monthly_token_budget bigint;

-- Rollups, written in the same transaction as the assistant message they count, each by one upsert on its grouping
-- (unique). One row per finish reason; key_id is the nil UUID for replies stored before V6, whose key is unknown.
-- Three grains: per key and UTC day (the exact record), per tenant and day (for queries without keys), per key and
-- month (for queries by key over long ranges).
CREATE TABLE usage_daily (
    id            uuid   NOT NULL PRIMARY KEY,
    tenant_id     uuid   NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id        uuid   NOT NULL,
    model         text   NOT NULL,
    day           text   NOT NULL,
    finish_reason text   NOT NULL,
    turns         bigint NOT NULL,
    tokens_in     bigint NOT NULL,
    tokens_out    bigint NOT NULL
);
CREATE UNIQUE INDEX usage_daily_group ON usage_daily (tenant_id, day, key_id, model, finish_reason);

CREATE TABLE usage_tenant_daily (
    id            uuid   NOT NULL PRIMARY KEY,
    tenant_id     uuid   NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    model         text   NOT NULL,
    day           text   NOT NULL,
    finish_reason text   NOT NULL,
    turns         bigint NOT NULL,
    tokens_in     bigint NOT NULL,
    tokens_out    bigint NOT NULL
);
CREATE UNIQUE INDEX usage_tenant_daily_group ON usage_tenant_daily (tenant_id, day, model, finish_reason);

CREATE TABLE usage_key_monthly (
    id            uuid   NOT NULL PRIMARY KEY,
    tenant_id     uuid   NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id        uuid   NOT NULL,
    model         text   NOT NULL,
    month         text   NOT NULL,
    finish_reason text   NOT NULL,
    turns         bigint NOT NULL,
    tokens_in     bigint NOT NULL,
    tokens_out    bigint NOT NULL
);
CREATE UNIQUE INDEX usage_key_monthly_group ON usage_key_monthly (tenant_id, month, key_id, model, finish_reason);

-- The counters limits are checked against, one row per subject (a tenant or a key) and period (a UTC minute
-- 'YYYY-MM-DDTHH:MM' or a UTC month 'YYYY-MM'), updated by one atomic upsert that admits a turn or refuses it.
-- Every replica shares them.
CREATE TABLE usage_windows (
    id         uuid   NOT NULL PRIMARY KEY,
    subject_id uuid   NOT NULL,
    period     text   NOT NULL,
    requests   bigint NOT NULL,
    tokens     bigint NOT NULL
);
CREATE UNIQUE INDEX usage_windows_subject ON usage_windows (subject_id, period);
CREATE INDEX usage_windows_period ON usage_windows (period);

-- Turns in flight, per subject and process: a process that died no longer counts (see heartbeats).
CREATE TABLE usage_in_flight (
    id         uuid   NOT NULL PRIMARY KEY,
    subject_id uuid   NOT NULL,
    instance   text   NOT NULL,
    turns      bigint NOT NULL
);
CREATE UNIQUE INDEX usage_in_flight_subject ON usage_in_flight (subject_id, instance);

-- Backfill: the replies stored before V6, counted by their conversation's model, set-based inside the migration's one
-- transaction (one grouped pass over the messages, then the coarser grains from the finer).
INSERT INTO usage_daily (id, tenant_id, key_id, model, day, finish_reason, turns, tokens_in, tokens_out)
SELECT gen_random_uuid(), m.tenant_id, '00000000-0000-0000-0000-000000000000', c.model,
       to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), coalesce(m.finish_reason, 'stop'), count(*),
       sum(m.tokens_in), sum(m.tokens_out)
FROM messages m JOIN conversations c ON c.id = m.conversation_id
WHERE m.role = 'assistant'
GROUP BY m.tenant_id, c.model, to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), coalesce(m.finish_reason, 'stop');

INSERT INTO usage_tenant_daily (id, tenant_id, model, day, finish_reason, turns, tokens_in, tokens_out)
SELECT gen_random_uuid(), tenant_id, model, day, finish_reason, sum(turns), sum(tokens_in), sum(tokens_out)
FROM usage_daily GROUP BY tenant_id, model, day, finish_reason;

INSERT INTO usage_key_monthly (id, tenant_id, key_id, model, month, finish_reason, turns, tokens_in, tokens_out)
SELECT gen_random_uuid(), tenant_id, key_id, model, substr(day, 1, 7), finish_reason, sum(turns), sum(tokens_in),
       sum(tokens_out)
FROM usage_daily GROUP BY tenant_id, key_id, model, substr(day, 1, 7), finish_reason;
