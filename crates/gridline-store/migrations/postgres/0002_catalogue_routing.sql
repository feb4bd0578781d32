-- The catalogue, routing rules and crosswalk as accepted revisions (newest is in force), every
-- version of every catalogue entry (a case keeps the version it was filed under), and the unit
-- types each unit handles.

ALTER TABLE units ADD COLUMN types TEXT NOT NULL DEFAULT '[]';   -- JSON array of unit-type codes

CREATE TABLE catalogue_revisions (
    id         BIGSERIAL PRIMARY KEY,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    note       TEXT,
    catalogue  TEXT NOT NULL,           -- catalogue.toml as accepted
    routing    TEXT NOT NULL,           -- routing.toml
    crosswalk  TEXT NOT NULL,           -- crosswalk.csv
    versions   TEXT NOT NULL            -- JSON object: entry code -> version in force
);

CREATE TABLE catalogue_entry_versions (
    code     TEXT NOT NULL,
    version  BIGINT NOT NULL,
    revision BIGINT NOT NULL REFERENCES catalogue_revisions(id),
    entry    TEXT NOT NULL,             -- the entry as JSON
    PRIMARY KEY (code, version)
);
