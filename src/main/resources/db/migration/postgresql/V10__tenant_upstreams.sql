-- Tenant-managed model access. Same tables and columns as the SQLite dialect.

-- The operator's models a tenant may use: comma-separated names; NULL = every operator model, '' = none (only the
-- tenant's own upstreams).
ALTER TABLE tenants ADD COLUMN allowed_models text;

-- A tenant's own OpenAI-compatible upstreams. api_key is never plaintext: 'v1:<key id>:<base64(nonce|ciphertext|tag)>',
-- AES-256-GCM under PARLEY_ENCRYPTION_KEY with the key id, tenant id and upstream id bound as associated data, so a
-- value copied to another row does not decrypt. key_id repeats the key id so that the start-up check and the rotation
-- find the values of a key without reading them all; api_key_hint is the key's last four characters, all the API
-- ever shows of it. models: comma-separated names it serves.
CREATE TABLE tenant_upstreams (
    id           uuid        NOT NULL PRIMARY KEY,
    tenant_id    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    base_url     text        NOT NULL,
    models       text        NOT NULL,
    api_key      text        NOT NULL,
    key_id       text        NOT NULL,
    api_key_hint text        NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX tenant_upstreams_tenant ON tenant_upstreams (tenant_id, created_at, id);
CREATE INDEX tenant_upstreams_key ON tenant_upstreams (key_id);
