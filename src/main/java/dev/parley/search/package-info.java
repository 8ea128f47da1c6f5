/**
 * Full-text search over a tenant's conversation history: the query syntax (parsed here into a small tree that each
 * adapter renders in its own dialect, so user input never reaches FTS5 or tsquery syntax), the snippets with the
 * matched terms marked, and the use case behind {@code GET /api/search}. The index itself belongs to the adapters
 * (FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL), behind the {@code store.SearchStore} port.
 */
package dev.parley.search;
