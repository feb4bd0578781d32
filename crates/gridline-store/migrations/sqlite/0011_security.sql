-- Sign-in throttling and the audit log (issue 25). Sessions are in `sessions` (0001), by the
-- SHA-256 of their token, and every server reads them there.

-- Failed sign-ins per account ('account:NAME') and per address ('address:IP') in the current
-- window, and the lockout they earned; an administrator lifts a lockout by deleting its row.
CREATE TABLE sign_in_locks (
    subject      TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER
);

-- What was done to accounts and sessions: failed sign-ins, lockouts and their lifting.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    username TEXT,
    address  TEXT,
    actor    TEXT,
    detail   TEXT NOT NULL
);

CREATE INDEX audit_log_at ON audit_log (at);
