-- Usage by key across models: a report by key over a year read every (key, model) row of the finer rollups, ten
-- times the rows it needs with ten models. Two more grains, written with the others in the reply's own write.
CREATE TABLE usage_key_only_daily (
    id            uuid   NOT NULL PRIMARY KEY,
    tenant_id     uuid   NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id        uuid   NOT NULL,
    day           text   NOT NULL,
    finish_reason text   NOT NULL,
    turns         bigint NOT NULL,
    tokens_in     bigint NOT NULL,
    tokens_out    bigint NOT NULL
);
CREATE UNIQUE INDEX usage_key_only_daily_group ON usage_key_only_daily (tenant_id, day, key_id, finish_reason);

CREATE TABLE usage_key_only_monthly (
    id            uuid   NOT NULL PRIMARY KEY,
    tenant_id     uuid   NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id        uuid   NOT NULL,
    month         text   NOT NULL,
    finish_reason text   NOT NULL,
    turns         bigint NOT NULL,
    tokens_in     bigint NOT NULL,
    tokens_out    bigint NOT NULL
);
CREATE UNIQUE INDEX usage_key_only_monthly_group ON usage_key_only_monthly (tenant_id, month, key_id, finish_reason);

-- Backfill from the rollups counted so far, set-based in the migration's one transaction.
INSERT INTO usage_key_only_daily (id, tenant_id, key_id, day, finish_reason, turns, tokens_in, tokens_out)
SELECT gen_random_uuid(), tenant_id, key_id, day, finish_reason, sum(turns), sum(tokens_in), sum(tokens_out)
FROM usage_daily GROUP BY tenant_id, key_id, day, finish_reason;

INSERT INTO usage_key_only_monthly (id, tenant_id, key_id, month, finish_reason, turns, tokens_in, tokens_out)
SELECT gen_random_uuid(), tenant_id, key_id, month, finish_reason, sum(turns), sum(tokens_in), sum(tokens_out)
FROM usage_key_monthly GROUP BY tenant_id, key_id, month, finish_reason;
