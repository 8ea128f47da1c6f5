-- Search index, second shape (issue 16's performance targets). V9 indexed the tenant id as a second FTS5 column and
-- narrowed every query with it as a term; bm25 then counted that term's documents (every message of the tenant) on
-- every query, and every message added five tenant tokens to the index. Here the tenant is part of the index's rowid
-- instead: rowid = (tenant number << 36) + the message's rowid, so one tenant's messages are one rowid range, which
-- FTS5 seeks to directly, and walking that range backwards is walking the tenant's matches newest first (the ranked
-- window of store/sqlite/SqliteSearchStore stops after the newest ones). 2^36 rowids of messages is far more than a
-- SQLite database of Parley will hold.
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts;

-- A small, stable number per tenant (an INTEGER PRIMARY KEY, so VACUUM keeps it), given to a tenant when its first
-- message is indexed and never reused. Like every messages_fts* table it belongs to the index: derived, not copied.
CREATE TABLE messages_fts_tenants (
    number    INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL UNIQUE
);
INSERT INTO messages_fts_tenants (tenant_id) SELECT DISTINCT tenant_id FROM messages;

-- The index's view of the messages, under its own rowids: external content, so the text is still stored once (in
-- messages), and FTS5's integrity-check compares the index with it (a message whose tenant has no number yet is
-- one the index has not reached: its rowid is null, which the check reports).
CREATE VIEW messages_fts_content AS
SELECT (t.number << 36) + m.rowid AS fts_rowid, m.content AS content
FROM messages m LEFT JOIN messages_fts_tenants t ON t.tenant_id = m.tenant_id;

CREATE VIRTUAL TABLE messages_fts USING fts5(
    content,
    content = 'messages_fts_content',
    content_rowid = 'fts_rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Merging: FTS5's default (automerge 4) merges segments inside the write transactions, a little on each, and that
-- work was most of what the index cost the writer. Here a write transaction only adds its segment; merging happens
-- when the writer is idle (SqliteSearchIndex: the 'merge' command, in small steps), and under a sustained write load
-- that leaves no idle time, FTS5 merges a level once it holds 16 segments (crisismerge), which bounds the segments a
-- query must read.
INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 0);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('crisismerge', 16);

-- Everything is indexed again by the backfill (SqliteSearchBackfill), newest first, as after V9.
UPDATE messages_fts_backfill SET pending_upto = (SELECT coalesce(max(rowid), 0) FROM messages);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN new.rowid > (SELECT pending_upto FROM messages_fts_backfill)
BEGIN
    INSERT OR IGNORE INTO messages_fts_tenants (tenant_id) VALUES (new.tenant_id);
    INSERT INTO messages_fts (rowid, content)
        VALUES (((SELECT number FROM messages_fts_tenants WHERE tenant_id = new.tenant_id) << 36) + new.rowid,
                new.content);
END;

-- Also fires for the rows a conversation's or a tenant's ON DELETE CASCADE removes.
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.rowid > (SELECT pending_upto FROM messages_fts_backfill)
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content)
        VALUES ('delete', ((SELECT number FROM messages_fts_tenants WHERE tenant_id = old.tenant_id) << 36) + old.rowid,
                old.content);
END;

-- Messages are not edited today; this keeps the index right if they ever are.
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, tenant_id ON messages
WHEN old.rowid > (SELECT pending_upto FROM messages_fts_backfill)
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content)
        VALUES ('delete', ((SELECT number FROM messages_fts_tenants WHERE tenant_id = old.tenant_id) << 36) + old.rowid,
                old.content);
    INSERT OR IGNORE INTO messages_fts_tenants (tenant_id) VALUES (new.tenant_id);
    INSERT INTO messages_fts (rowid, content)
        VALUES (((SELECT number FROM messages_fts_tenants WHERE tenant_id = new.tenant_id) << 36) + new.rowid,
                new.content);
END;
