-- Attachments: photos and files uploaded with a case (or, through the same service, with an
-- evaluation's field check or an alley patrol). The bytes live in the files directory under
-- their SHA-256 (identical uploads share them); a row here says what one upload was, who made it
-- and when. What a file is (media_type) was read from its bytes, never from its name.
CREATE TABLE attachments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256      TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    width       INTEGER,
    height      INTEGER,
    name        TEXT NOT NULL,
    uploaded_by INTEGER NOT NULL,
    uploaded_at INTEGER NOT NULL
);

CREATE INDEX attachments_sha256 ON attachments (sha256);

-- Which case an attachment belongs to, and at which stage of it (intake, handling, verification,
-- callback). Whoever may see the case may see its attachments; nobody else.
CREATE TABLE case_attachments (
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    stage         TEXT NOT NULL,
    added_by      INTEGER NOT NULL,
    added_at      INTEGER NOT NULL,
    PRIMARY KEY (case_id, attachment_id)
);

CREATE INDEX case_attachments_attachment ON case_attachments (attachment_id);
