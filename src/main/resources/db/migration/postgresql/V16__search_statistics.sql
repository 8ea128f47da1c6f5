-- Search statistics (issue 16). PostgreSQL keeps a tsvector column's most common lexemes with their shares of the rows
-- (pg_stats.most_common_elems), ten times the column's statistics target: 1,000 at the default target of 100, which at
-- a million messages over a 30,000-word vocabulary reaches down only to words in 0.4 % of the messages. Parley sums
-- them to tell a common prefix from a rare one (store/postgres/PgSearchStore.walksNewest): a four-letter prefix in 5 % of a
-- tenant's messages is usually twenty words below that line each, so it looked rare and was read through the GIN index
-- (35-90 ms at a million messages) instead of by walking the newest messages (a few ms). At 1,000 the column keeps
-- 10,000 lexemes, down to words in 0.07 % of the messages, and the planner's estimates of single words sharpen too.
-- ANALYZE then samples 300,000 rows instead of 30,000 (3.5 s at a million messages, about the same at any size above);
-- it runs here once so that the statistics are there at the first search, and autovacuum keeps them after.
ALTER TABLE messages ALTER COLUMN search SET STATISTICS 1000;
ANALYZE messages (search);
