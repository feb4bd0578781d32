-- API keys of client systems (the Open311 `api_key`). Each key files cases through one channel
-- as its own system user, so the audit trail names the system. Only the key's SHA-256 is kept.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    key_hash   TEXT NOT NULL UNIQUE,
    channel    TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- Open311 servicerequestupdates reads events by time.
CREATE INDEX case_events_at ON case_events (at);
