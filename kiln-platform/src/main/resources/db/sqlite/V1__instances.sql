-- Instances: one row each. Lists and JSON-shaped fields are stored as JSON text; the service
-- owns their rules, the store only keeps them. version increments on every update, so two
-- writers never overwrite each other unseen.
CREATE TABLE instances (
    uuid            TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    image           TEXT NOT NULL,
    state           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_seq     INTEGER NOT NULL,
    memory_mb       INTEGER NOT NULL,
    vcpus           INTEGER NOT NULL,
    restart_policy  TEXT NOT NULL,
    body            TEXT NOT NULL,
    version         INTEGER NOT NULL
);
CREATE INDEX instances_created ON instances (created_seq);

-- Settings of this platform (the API token's hash, the schema's owner).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
