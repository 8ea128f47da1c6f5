-- Full-text search over messages (issue 16). SQLite: an FTS5 index over the messages table itself (external content,
-- so the text is stored once), keyed by the messages' rowid. The unicode61 tokenizer with remove_diacritics 2 folds
-- accents ("cafe" finds "café" and the other way round) and case. The tenant id is indexed too (a second column,
-- never searched by users' words), so that a query narrows to the tenant's messages inside FTS5 and bm25 ranks only
-- those; the query also joins messages for the exact tenant check, the filters and the ordering
-- (store/sqlite/SqliteSearchStore).
-- These tables are the index's own (FTS5 keeps its data in shadow tables messages_fts_*); they carry no data of
-- their own, are not copied by copy-data (the target builds its own index as rows arrive) and have no counterpart in
-- the PostgreSQL dialect, whose index is a generated column and a GIN index on messages.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    content,
    tenant_id,
    content = 'messages',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Messages stored before this migration are indexed after start-up, in batches through the writer
-- (SqliteSearchBackfill), newest first: every message with rowid <= pending_upto is not in the index yet. The
-- triggers below keep the index in step, in the same transaction, with every message above it; a message at or
-- below it is left to the backfill (so deleting a message the backfill has not reached never asks FTS5 to remove
-- something it does not hold, which would corrupt an external-content index).
CREATE TABLE messages_fts_backfill (
    pending_upto INTEGER NOT NULL
);
INSERT INTO messages_fts_backfill (pending_upto) SELECT coalesce(max(rowid), 0) FROM messages;

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN new.rowid > (SELECT pending_upto FROM messages_fts_backfill)
BEGIN
    INSERT INTO messages_fts (rowid, content, tenant_id) VALUES (new.rowid, new.content, new.tenant_id);
END;

-- Also fires for the rows a conversation's or a tenant's ON DELETE CASCADE removes.
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.rowid > (SELECT pending_upto FROM messages_fts_backfill)
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, tenant_id)
        VALUES ('delete', old.rowid, old.content, old.tenant_id);
END;

-- Messages are not edited today; this keeps the index right if they ever are.
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, tenant_id ON messages
WHEN old.rowid > (SELECT pending_upto FROM messages_fts_backfill)
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content, tenant_id)
        VALUES ('delete', old.rowid, old.content, old.tenant_id);
    INSERT INTO messages_fts (rowid, content, tenant_id) VALUES (new.rowid, new.content, new.tenant_id);
END;
