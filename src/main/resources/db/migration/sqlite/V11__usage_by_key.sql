-- Usage by key across models: a report by key over a year read every (key, model) row of the finer rollups, ten
-- times the rows it needs with ten models. Two more grains, written with the others in the reply's own write.
-- Same tables and columns as the PostgreSQL dialect; ids are UUID text.
CREATE TABLE usage_key_only_daily (
    id            TEXT    NOT NULL PRIMARY KEY,
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id        TEXT    NOT NULL,
    day           TEXT    NOT NULL,
    finish_reason TEXT    NOT NULL,
    turns         INTEGER NOT NULL,
    tokens_in     INTEGER NOT NULL,
    tokens_out    INTEGER NOT NULL
);
CREATE UNIQUE INDEX usage_key_only_daily_group ON usage_key_only_daily (tenant_id, day, key_id, finish_reason);

CREATE TABLE usage_key_only_monthly (
    id            TEXT    NOT NULL PRIMARY KEY,
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id        TEXT    NOT NULL,
    month         TEXT    NOT NULL,
    finish_reason TEXT    NOT NULL,
    turns         INTEGER NOT NULL,
    tokens_in     INTEGER NOT NULL,
    tokens_out    INTEGER NOT NULL
);
CREATE UNIQUE INDEX usage_key_only_monthly_group ON usage_key_only_monthly (tenant_id, month, key_id, finish_reason);

-- Backfill from the rollups counted so far, set-based in the migration's one transaction.
INSERT INTO usage_key_only_daily (id, tenant_id, key_id, day, finish_reason, turns, tokens_in, tokens_out)
SELECT lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-'
             || substr(h, 21, 12)),
       tenant_id, key_id, day, finish_reason, turns, tokens_in, tokens_out
FROM (SELECT hex(randomblob(16)) AS h, tenant_id, key_id, day, finish_reason, sum(turns) AS turns,
             sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out
      FROM usage_daily GROUP BY tenant_id, key_id, day, finish_reason);

INSERT INTO usage_key_only_monthly (id, tenant_id, key_id, month, finish_reason, turns, tokens_in, tokens_out)
SELECT lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-'
             || substr(h, 21, 12)),
       tenant_id, key_id, month, finish_reason, turns, tokens_in, tokens_out
FROM (SELECT hex(randomblob(16)) AS h, tenant_id, key_id, month, finish_reason, sum(turns) AS turns,
             sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out
      FROM usage_key_monthly GROUP BY tenant_id, key_id, month, finish_reason);
