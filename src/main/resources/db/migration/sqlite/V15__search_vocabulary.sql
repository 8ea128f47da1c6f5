-- How many messages hold each word, read from the index itself: the rank of a search (store/sqlite/SqliteRank, BM25
-- computed by Parley over the ranked window instead of FTS5's bm25(), which recounted every term over the whole index
-- on every search) looks its terms up here and keeps the counts for a minute. A view of messages_fts, no storage of
-- its own; like every messages_fts* table it belongs to the index, so copy-data and the schema comparison leave it.
CREATE VIRTUAL TABLE messages_fts_vocab USING fts5vocab(messages_fts, row);
