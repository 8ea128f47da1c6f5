-- One row per Parley process (instance = host name): the readiness probe proves writes still commit by updating it.
CREATE TABLE heartbeats (
    instance TEXT    NOT NULL PRIMARY KEY,
    beat_at  INTEGER NOT NULL
);
