-- Access control: each key carries scopes (read, chat, keys, admin; admin implies the others) instead of an admin
-- flag, and may expire. Existing keys keep what they could do: admin keys get admin, the others read, chat and keys.
ALTER TABLE api_keys ADD COLUMN scopes text NOT NULL DEFAULT '';
UPDATE api_keys SET scopes = CASE WHEN admin THEN 'admin' ELSE 'chat,keys,read' END;
ALTER TABLE api_keys ALTER COLUMN scopes DROP DEFAULT;
ALTER TABLE api_keys DROP COLUMN admin;
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
-- A key chosen by an operator (PARLEY_BOOTSTRAP_API_KEY) had part of itself stored as its display prefix; keep none.
UPDATE api_keys SET key_prefix = '' WHERE key_prefix NOT LIKE 'pk\_%';
-- Every process polls for keys revoked since its last look (revocation reaches all replicas within a second or two).
CREATE INDEX api_keys_revoked ON api_keys (revoked_at) WHERE revoked_at IS NOT NULL;
