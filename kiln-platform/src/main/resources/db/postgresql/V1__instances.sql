-- Instances: one row each; see the SQLite migration of the same version for the why.
CREATE TABLE instances (
    uuid            TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    image           TEXT NOT NULL,
    state           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_seq     BIGINT NOT NULL,
    memory_mb       INTEGER NOT NULL,
    vcpus           INTEGER NOT NULL,
    restart_policy  TEXT NOT NULL,
    body            TEXT NOT NULL,
    version         BIGINT NOT NULL
);
CREATE INDEX instances_created ON instances (created_seq);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
