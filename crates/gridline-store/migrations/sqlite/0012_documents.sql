-- Issued documents (简报, 通报, 督办单): each with its frozen data snapshot and both renderings,
-- their SHA-256 hashes, who issued it and when. An issued document is never changed or removed
-- (the triggers below refuse it); a correction is a new document naming the one it corrects.
-- Numbers: 第 `number` 期 within `year` and 总第 `total` 期 within the kind, from
-- `document_series`, whose row is updated in the transaction that inserts the document (SQLite
-- takes its one write lock there): a number is never taken twice, and a failed issue takes none.
CREATE TABLE document_series (
    kind   TEXT PRIMARY KEY,
    year   INTEGER NOT NULL,
    number INTEGER NOT NULL,
    total  INTEGER NOT NULL
);

CREATE TABLE documents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    year            INTEGER NOT NULL,
    number          INTEGER NOT NULL,
    total           INTEGER NOT NULL,
    title           TEXT NOT NULL,
    template        TEXT NOT NULL,
    snapshot        TEXT NOT NULL,
    snapshot_sha256 TEXT NOT NULL,
    docx            BLOB NOT NULL,
    docx_sha256     TEXT NOT NULL,
    pdf             BLOB NOT NULL,
    pdf_sha256      TEXT NOT NULL,
    corrects        INTEGER REFERENCES documents(id),
    issued_by       INTEGER NOT NULL REFERENCES users(id),
    issued_at       INTEGER NOT NULL,
    UNIQUE (kind, year, number),
    UNIQUE (kind, total)
);

CREATE INDEX documents_issued_at ON documents (issued_at);

CREATE TRIGGER documents_never_change BEFORE UPDATE ON documents
BEGIN
    SELECT RAISE(ABORT, 'an issued document is never changed or removed');
END;

CREATE TRIGGER documents_never_removed BEFORE DELETE ON documents
BEGIN
    SELECT RAISE(ABORT, 'an issued document is never changed or removed');
END;
