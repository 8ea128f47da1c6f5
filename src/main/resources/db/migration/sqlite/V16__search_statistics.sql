-- V16 gives PostgreSQL's search column a larger statistics target (the most common words and their shares, which
-- Parley reads to plan a prefix search). SQLite's search reads its counts from the index itself (messages_fts_vocab,
-- V15), so nothing changes here; the version exists so that both dialects keep the same version numbers (diagnostics
-- and copy-data compare them).
SELECT 1;
