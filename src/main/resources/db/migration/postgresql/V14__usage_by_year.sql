-- Usage by key over a year: a report by key over a rolling year read eleven or twelve months of monthly rows and a
-- month's worth of daily ones at its ends. With a rollup per calendar year a report reads the whole years of its
-- range as one row per group, and a partial year or month as the whole one minus the days or months it leaves out,
-- whichever reads fewer rows (UsageReports). Two more grains, written with the others in the reply's own write.
CREATE TABLE usage_key_yearly (
    id            uuid   NOT NULL PRIMARY KEY,
    tenant_id     uuid   NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id        uuid   NOT NULL,
    model         text   NOT NULL,
    year          text   NOT NULL,
    finish_reason text   NOT NULL,
    turns         bigint NOT NULL,
    tokens_in     bigint NOT NULL,
    tokens_out    bigint NOT NULL
);
CREATE UNIQUE INDEX usage_key_yearly_group ON usage_key_yearly (tenant_id, year, key_id, model, finish_reason);

CREATE TABLE usage_key_only_yearly (
    id            uuid   NOT NULL PRIMARY KEY,
    tenant_id     uuid   NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id        uuid   NOT NULL,
    year          text   NOT NULL,
    finish_reason text   NOT NULL,
    turns         bigint NOT NULL,
    tokens_in     bigint NOT NULL,
    tokens_out    bigint NOT NULL
);
CREATE UNIQUE INDEX usage_key_only_yearly_group ON usage_key_only_yearly (tenant_id, year, key_id, finish_reason);

-- Backfill from the monthly rollups counted so far, set-based in the migration's one transaction.
INSERT INTO usage_key_yearly (id, tenant_id, key_id, model, year, finish_reason, turns, tokens_in, tokens_out)
SELECT gen_random_uuid(), tenant_id, key_id, model, substr(month, 1, 4), finish_reason, sum(turns), sum(tokens_in),
       sum(tokens_out)
FROM usage_key_monthly GROUP BY tenant_id, key_id, model, substr(month, 1, 4), finish_reason;

INSERT INTO usage_key_only_yearly (id, tenant_id, key_id, year, finish_reason, turns, tokens_in, tokens_out)
SELECT gen_random_uuid(), tenant_id, key_id, substr(month, 1, 4), finish_reason, sum(turns), sum(tokens_in),
       sum(tokens_out)
FROM usage_key_only_monthly GROUP BY tenant_id, key_id, substr(month, 1, 4), finish_reason;
