-- Usage by key over a year: a report by key over a rolling year read eleven or twelve months of monthly rows and a
-- month's worth of daily ones at its ends. With a rollup per calendar year a report reads the whole years of its
-- range as one row per group, and a partial year or month as the whole one minus the days or months it leaves out,
-- whichever reads fewer rows (UsageReports). Two more grains, written with the others in the reply's own write.
-- Same tables and columns as the PostgreSQL dialect; ids are UUID text.
CREATE TABLE usage_key_yearly (
    id            TEXT    NOT NULL PRIMARY KEY,
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id        TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    year          TEXT    NOT NULL,
    finish_reason TEXT    NOT NULL,
    turns         INTEGER NOT NULL,
    tokens_in     INTEGER NOT NULL,
    tokens_out    INTEGER NOT NULL
);
CREATE UNIQUE INDEX usage_key_yearly_group ON usage_key_yearly (tenant_id, year, key_id, model, finish_reason);

CREATE TABLE usage_key_only_yearly (
    id            TEXT    NOT NULL PRIMARY KEY,
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id        TEXT    NOT NULL,
    year          TEXT    NOT NULL,
    finish_reason TEXT    NOT NULL,
    turns         INTEGER NOT NULL,
    tokens_in     INTEGER NOT NULL,
    tokens_out    INTEGER NOT NULL
);
CREATE UNIQUE INDEX usage_key_only_yearly_group ON usage_key_only_yearly (tenant_id, year, key_id, finish_reason);

-- Backfill from the monthly rollups counted so far, set-based in the migration's one transaction.
INSERT INTO usage_key_yearly (id, tenant_id, key_id, model, year, finish_reason, turns, tokens_in, tokens_out)
SELECT lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-'
             || substr(h, 21, 12)),
       tenant_id, key_id, model, year, finish_reason, turns, tokens_in, tokens_out
FROM (SELECT hex(randomblob(16)) AS h, tenant_id, key_id, model, substr(month, 1, 4) AS year, finish_reason,
             sum(turns) AS turns, sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out
      FROM usage_key_monthly GROUP BY tenant_id, key_id, model, substr(month, 1, 4), finish_reason);

INSERT INTO usage_key_only_yearly (id, tenant_id, key_id, year, finish_reason, turns, tokens_in, tokens_out)
SELECT lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-'
             || substr(h, 21, 12)),
       tenant_id, key_id, year, finish_reason, turns, tokens_in, tokens_out
FROM (SELECT hex(randomblob(16)) AS h, tenant_id, key_id, substr(month, 1, 4) AS year, finish_reason,
             sum(turns) AS turns, sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out
      FROM usage_key_only_monthly GROUP BY tenant_id, key_id, substr(month, 1, 4), finish_reason);
