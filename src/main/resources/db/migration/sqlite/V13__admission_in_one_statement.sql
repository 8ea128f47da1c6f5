-- On PostgreSQL, V13 makes a turn's admission one statement (a refusal function and a total row of turns in flight
-- per subject). SQLite admits turns inside its one writer's transaction and needs neither; this version keeps both
-- backends' schema versions equal, and changes nothing.
PRAGMA application_id = 0;
