-- V15 gives SQLite's search a vocabulary table (messages_fts_vocab: how many messages hold each word), which its BM25
-- rank reads. PostgreSQL's rank (ts_rank_cd) needs no count over the collection, so nothing changes here; the version
-- exists so that both dialects keep the same version numbers (diagnostics and copy-data compare them).
SELECT 1;
