-- ROM references and volumes; see the SQLite migration of the same version for the why.
CREATE TABLE instance_roms (
    instance_uuid  TEXT NOT NULL REFERENCES instances (uuid) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    digest         TEXT NOT NULL,
    PRIMARY KEY (instance_uuid, name)
);
CREATE INDEX instance_roms_digest ON instance_roms (digest);

-- Volumes: the JSON body plus the columns looked up (name, attachment, creation order).
CREATE TABLE volumes (
    uuid         TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    created_seq  BIGINT NOT NULL,
    attached_to  TEXT,
    body         TEXT NOT NULL,
    version      BIGINT NOT NULL
);
CREATE INDEX volumes_attached ON volumes (attached_to);
CREATE INDEX volumes_created ON volumes (created_seq);
