-- ROM references: one row per inline ROM of an instance, naming its blob in the ROM store. The
-- count of rows per digest is the blob's reference count, derived rather than kept, so it
-- cannot drift: a blob no row names is garbage, whatever happened before a crash.
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
    created_seq  INTEGER NOT NULL,
    attached_to  TEXT,
    body         TEXT NOT NULL,
    version      INTEGER NOT NULL
);
CREATE INDEX volumes_attached ON volumes (attached_to);
CREATE INDEX volumes_created ON volumes (created_seq);
