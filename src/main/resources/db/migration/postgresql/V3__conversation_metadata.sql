-- Free-form JSON object attached to a conversation by the client (tags, UI state, an external id); NULL when none
-- was given. jsonb, so it can be queried and indexed later.
ALTER TABLE conversations ADD COLUMN metadata jsonb;
