-- A migration that fails halfway: the first statement succeeds, the second names a table that does not exist.
ALTER TABLE messages ADD COLUMN broken_flag INTEGER;
UPDATE no_such_table SET x = 1;
