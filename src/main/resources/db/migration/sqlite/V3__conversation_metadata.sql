-- Free-form JSON object attached to a conversation by the client (tags, UI state, an external id). Stored as the
-- compact JSON text the API received; NULL when none was given.
ALTER TABLE conversations ADD COLUMN metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata));
