-- One row per Parley process (instance = host name): the readiness probe proves writes still commit by updating it.
CREATE TABLE heartbeats (
    instance text        NOT NULL PRIMARY KEY,
    beat_at  timestamptz NOT NULL
);
