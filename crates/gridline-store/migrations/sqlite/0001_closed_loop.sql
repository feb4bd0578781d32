-- The closed loop: units, users, sessions, cases and their append-only events.
-- Times are Unix milliseconds (UTC); JSON documents are TEXT.

CREATE TABLE units (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    regions    TEXT NOT NULL,           -- JSON array of region codes
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    unit_code     TEXT REFERENCES units(code),
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,        -- SHA-256 of the bearer token; the token itself is never stored
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- The projection of each case's events; `doc` holds the whole case, the other columns are for filters.
CREATE TABLE cases (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    version        INTEGER NOT NULL,
    channel        TEXT NOT NULL,
    external_id    TEXT,
    status         TEXT NOT NULL,
    category       TEXT,
    region         TEXT,
    unit           TEXT,
    deadline       INTEGER,
    suspended      INTEGER NOT NULL,
    reported_by    INTEGER NOT NULL,
    reporter_phone TEXT,
    received_at    INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    search_text    TEXT NOT NULL,
    doc            TEXT NOT NULL,
    UNIQUE (channel, external_id)       -- idempotent intake; NULL external ids never collide
);
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX cases_region ON cases (region, id);
CREATE INDEX cases_unit ON cases (unit, status);
CREATE INDEX cases_received_at ON cases (received_at);
CREATE INDEX cases_deadline ON cases (deadline) WHERE deadline IS NOT NULL;
CREATE INDEX cases_reporter_phone ON cases (reporter_phone) WHERE reporter_phone IS NOT NULL;

-- The source of truth. Never updated, never deleted.
CREATE TABLE case_events (
    case_id  INTEGER NOT NULL REFERENCES cases(id),
    seq      INTEGER NOT NULL,
    action   TEXT NOT NULL,
    actor_id INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    doc      TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TRIGGER case_events_are_append_only_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
CREATE TRIGGER case_events_are_append_only_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
CREATE TRIGGER cases_are_never_deleted BEFORE DELETE ON cases
BEGIN SELECT RAISE(ABORT, 'cases are never deleted'); END;
