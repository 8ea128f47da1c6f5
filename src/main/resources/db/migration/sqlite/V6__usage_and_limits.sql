-- Usage accounting and limits. Same tables and columns as the PostgreSQL dialect; ids are UUID text, instants epoch
-- microseconds.

-- Who spent a reply and with which model: written with every assistant message, so that usage can always be
-- recomputed from the messages themselves. NULL for replies stored before V6 (their model comes from the
-- conversation in the backfill below).
ALTER TABLE messages ADD COLUMN key_id TEXT;
ALTER TABLE messages ADD COLUMN model TEXT;

-- Limits (NULL = unlimited): per tenant (set by admins) and per key (set by the tenant, never above its tenant's).
ALTER TABLE tenants ADD COLUMN requests_per_minute INTEGER;
ALTER TABLE tenants ADD COLUMN tokens_per_minute INTEGER;
ALTER TABLE tenants ADD COLUMN concurrent_turns INTEGER;
ALTER TABLE tenants ADD COLUMN monthly_token_budget INTEGER;
ALTER TABLE api_keys ADD COLUMN requests_per_minute INTEGER;
ALTER TABLE api_keys ADD COLUMN tokens_per_minute INTEGER;
ALTER TABLE api_keys ADD COLUMN concurrent_turns INTEGER;
ALTER TABLE api_keys ADD COLUMN monthly_token_budget INTEGER;

-- Rollups, written in the same transaction as the assistant message they count, each by one upsert on its grouping
-- (unique). One row per finish reason; key_id is the nil UUID for replies stored before V6, whose key is unknown.
-- Three grains: per key and UTC day (the exact record), per tenant and day (for queries without keys), per key and
-- month (for queries by key over long ranges).
CREATE TABLE usage_daily (
    id            TEXT   NOT NULL PRIMARY KEY,
    tenant_id     TEXT   NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id        TEXT   NOT NULL,
    model         TEXT   NOT NULL,
    day           TEXT   NOT NULL,
    finish_reason TEXT   NOT NULL,
    turns         INTEGER NOT NULL,
    tokens_in     INTEGER NOT NULL,
    tokens_out    INTEGER NOT NULL
);
CREATE UNIQUE INDEX usage_daily_group ON usage_daily (tenant_id, day, key_id, model, finish_reason);

CREATE TABLE usage_tenant_daily (
    id            TEXT   NOT NULL PRIMARY KEY,
    tenant_id     TEXT   NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    model         TEXT   NOT NULL,
    day           TEXT   NOT NULL,
    finish_reason TEXT   NOT NULL,
    turns         INTEGER NOT NULL,
    tokens_in     INTEGER NOT NULL,
    tokens_out    INTEGER NOT NULL
);
CREATE UNIQUE INDEX usage_tenant_daily_group ON usage_tenant_daily (tenant_id, day, model, finish_reason);

CREATE TABLE usage_key_monthly (
    id            TEXT   NOT NULL PRIMARY KEY,
    tenant_id     TEXT   NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id        TEXT   NOT NULL,
    model         TEXT   NOT NULL,
    month         TEXT   NOT NULL,
    finish_reason TEXT   NOT NULL,
    turns         INTEGER NOT NULL,
    tokens_in     INTEGER NOT NULL,
    tokens_out    INTEGER NOT NULL
);
CREATE UNIQUE INDEX usage_key_monthly_group ON usage_key_monthly (tenant_id, month, key_id, model, finish_reason);

-- The counters limits are checked against, one row per subject (a tenant or a key) and period (a UTC minute
-- 'YYYY-MM-DDTHH:MM' or a UTC month 'YYYY-MM'), updated by one atomic upsert that admits a turn or refuses it.
-- Every replica shares them.
CREATE TABLE usage_windows (
    id         TEXT   NOT NULL PRIMARY KEY,
    subject_id TEXT   NOT NULL,
    period     TEXT   NOT NULL,
    requests   INTEGER NOT NULL,
    tokens     INTEGER NOT NULL
);
CREATE UNIQUE INDEX usage_windows_subject ON usage_windows (subject_id, period);
CREATE INDEX usage_windows_period ON usage_windows (period);

-- Turns in flight, per subject and process: a process that died no longer counts (see heartbeats).
CREATE TABLE usage_in_flight (
    id         TEXT   NOT NULL PRIMARY KEY,
    subject_id TEXT   NOT NULL,
    instance   TEXT   NOT NULL,
    turns      INTEGER NOT NULL
);
CREATE UNIQUE INDEX usage_in_flight_subject ON usage_in_flight (subject_id, instance);

-- Backfill: the replies stored before V6, counted by their conversation's model, set-based inside the migration's one
-- transaction (one grouped pass over the messages, then the coarser grains from the finer). The ids are random
-- version-4 UUIDs in text form, built from randomblob.
INSERT INTO usage_daily (id, tenant_id, key_id, model, day, finish_reason, turns, tokens_in, tokens_out)
SELECT lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-'
             || substr(h, 21, 12)),
       tenant_id, '00000000-0000-0000-0000-000000000000', model, day, finish_reason, turns, tokens_in, tokens_out
FROM (SELECT hex(randomblob(16)) AS h, m.tenant_id, c.model,
             strftime('%Y-%m-%d', m.created_at / 1000000, 'unixepoch') AS day,
             coalesce(m.finish_reason, 'stop') AS finish_reason, count(*) AS turns, sum(m.tokens_in) AS tokens_in,
             sum(m.tokens_out) AS tokens_out
      FROM messages m JOIN conversations c ON c.id = m.conversation_id
      WHERE m.role = 'assistant'
      GROUP BY m.tenant_id, c.model, strftime('%Y-%m-%d', m.created_at / 1000000, 'unixepoch'),
               coalesce(m.finish_reason, 'stop'));

INSERT INTO usage_tenant_daily (id, tenant_id, model, day, finish_reason, turns, tokens_in, tokens_out)
SELECT lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-'
             || substr(h, 21, 12)),
       tenant_id, model, day, finish_reason, turns, tokens_in, tokens_out
FROM (SELECT hex(randomblob(16)) AS h, tenant_id, model, day, finish_reason, sum(turns) AS turns,
             sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out
      FROM usage_daily GROUP BY tenant_id, model, day, finish_reason);

INSERT INTO usage_key_monthly (id, tenant_id, key_id, model, month, finish_reason, turns, tokens_in, tokens_out)
SELECT lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-'
             || substr(h, 21, 12)),
       tenant_id, key_id, model, month, finish_reason, turns, tokens_in, tokens_out
FROM (SELECT hex(randomblob(16)) AS h, tenant_id, key_id, model, substr(day, 1, 7) AS month, finish_reason,
             sum(turns) AS turns, sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out
      FROM usage_daily GROUP BY tenant_id, key_id, model, substr(day, 1, 7), finish_reason);
