-- Material review (材料审核, issue 21 item 5): half-yearly windows in which each district's or
-- street's unit submits materials (text and files) for the clauses whose method is material
-- review; reviewers' scores with their comments (the joint review, 联审); the office's settlement.
-- The rules live in gridline_core::evaluation::review.

-- A window: its half (2026-H1) with the half's first and last month for the periods it counts
-- in, whose materials (district | street), the days submissions are taken (YYYY-MM-DD, Beijing
-- time, both included), the indicator-system revision its clauses come from, the reviewers
-- (a JSON array of user ids).
CREATE TABLE material_windows (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    half        TEXT NOT NULL,
    first_month TEXT NOT NULL,
    last_month  TEXT NOT NULL,
    level       TEXT NOT NULL,
    name        TEXT NOT NULL,
    system_id   INTEGER NOT NULL REFERENCES evaluation_systems(id),
    opens       TEXT NOT NULL,
    closes      TEXT NOT NULL,
    reviewers   TEXT NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (half, level)
);
CREATE INDEX material_windows_months ON material_windows (first_month, last_month);

-- One submission per window, region and clause; the office's settlement beside it (rule mean |
-- hand), none until settled.
CREATE TABLE material_submissions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    window_id     INTEGER NOT NULL REFERENCES material_windows(id),
    region        TEXT NOT NULL,
    clause        TEXT NOT NULL,
    text          TEXT NOT NULL,
    submitted_by  INTEGER NOT NULL,
    submitted_at  INTEGER NOT NULL,
    settled_score REAL,
    settled_rule  TEXT,
    settled_note  TEXT,
    settled_by    INTEGER,
    settled_at    INTEGER,
    UNIQUE (window_id, region, clause)
);

-- A submission's files: attachments kept by the one attachments service.
CREATE TABLE material_files (
    submission_id INTEGER NOT NULL REFERENCES material_submissions(id),
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    added_at      INTEGER NOT NULL,
    PRIMARY KEY (submission_id, attachment_id)
);
CREATE INDEX material_files_attachment ON material_files (attachment_id);

-- A reviewer's score of a submission, with the comment; changed by the reviewer until settled.
CREATE TABLE material_reviews (
    submission_id INTEGER NOT NULL REFERENCES material_submissions(id),
    reviewer      INTEGER NOT NULL,
    score         REAL NOT NULL,
    comment       TEXT NOT NULL,
    scored_at     INTEGER NOT NULL,
    PRIMARY KEY (submission_id, reviewer)
);
