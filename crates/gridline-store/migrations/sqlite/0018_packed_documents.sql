-- Storage per case (issue 25): the documents of cases and events become bytes, their JSON packed
-- as a zstd frame against gridline's dictionary (crates/gridline-store/src/packed.rs); the
-- documents already stored keep their JSON, as bytes, and are read as they are. Measured in
-- BENCHMARKS.md ("Storage per case").

-- The case document: a column of bytes in place of the text (SQLite changes a column's type only
-- by adding another; `cases` is referenced by other tables and is not rebuilt).
ALTER TABLE cases ADD COLUMN packed_doc BLOB NOT NULL DEFAULT x'';
UPDATE cases SET packed_doc = CAST(doc AS BLOB);
ALTER TABLE cases DROP COLUMN doc;
ALTER TABLE cases RENAME COLUMN packed_doc TO doc;

-- The events, rebuilt WITHOUT ROWID: keyed by (case_id, seq) alone, they no longer keep a second
-- copy of that key in an index beside a rowid table.
CREATE TABLE case_events_packed (
    case_id  INTEGER NOT NULL REFERENCES cases(id),
    seq      INTEGER NOT NULL,
    action   TEXT NOT NULL,
    actor_id INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    doc      BLOB NOT NULL,
    PRIMARY KEY (case_id, seq)
) WITHOUT ROWID;
INSERT INTO case_events_packed (case_id, seq, action, actor_id, at, doc)
SELECT case_id, seq, action, actor_id, at, CAST(doc AS BLOB) FROM case_events;
DROP TABLE case_events;
ALTER TABLE case_events_packed RENAME TO case_events;
CREATE INDEX case_events_at ON case_events (at);
CREATE TRIGGER case_events_are_append_only_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
CREATE TRIGGER case_events_are_append_only_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
