-- Search ranks only the newest matches of a query (store/postgres/PgSearchStore, SearchStore.RANKED_WINDOW) and
-- lists older ones newest first. For a query that matches many of a tenant's messages, walking the tenant's messages
-- newest first through this index and stopping once the window is full reads far fewer rows than fetching every
-- match through the GIN index; the planner chooses between the two from the tsvector statistics. The same index
-- serves the older matches past the window, page by page.
CREATE INDEX messages_recent ON messages (tenant_id, created_at DESC, id DESC);
