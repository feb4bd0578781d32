-- The committee's yearly project ledger (重点工作项目台账, issue 23).
-- Member units of the committee: a unit of kind member_unit with its tier and contact.
CREATE TABLE ledger_members (
    unit_code     TEXT PRIMARY KEY REFERENCES units(code),
    tier          TEXT NOT NULL,
    contact_name  TEXT NOT NULL,
    contact_phone TEXT NOT NULL
);

-- A year's ledger: its classes (JSON array), projects per unit, and when the office closed it.
CREATE TABLE ledger_years (
    year           INTEGER PRIMARY KEY,
    classes        TEXT NOT NULL,
    per_unit_limit INTEGER NOT NULL,
    closed_at      INTEGER
);

-- The key tasks (重点任务) of a year that projects serve.
CREATE TABLE ledger_key_tasks (
    year  INTEGER NOT NULL REFERENCES ledger_years(year),
    code  TEXT NOT NULL,
    title TEXT NOT NULL,
    PRIMARY KEY (year, code)
);

-- The projection of each project's events; `doc` holds the whole project, the other columns
-- are for filters. A unit's titles are unique within a year: an import cannot enter one twice.
CREATE TABLE ledger_projects (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    year      INTEGER NOT NULL REFERENCES ledger_years(year),
    unit_code TEXT NOT NULL REFERENCES units(code),
    class     TEXT NOT NULL,
    title     TEXT NOT NULL,
    status    TEXT NOT NULL,
    version   INTEGER NOT NULL,
    doc       TEXT NOT NULL,
    UNIQUE (year, unit_code, title)
);
CREATE INDEX ledger_projects_year_class ON ledger_projects (year, class, status);

-- Every step of a project, append-only: the audit trail.
CREATE TABLE ledger_events (
    project_id INTEGER NOT NULL REFERENCES ledger_projects(id),
    seq        INTEGER NOT NULL,
    action     TEXT NOT NULL,
    actor_id   INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (project_id, seq)
);

CREATE TRIGGER ledger_events_are_append_only_update BEFORE UPDATE ON ledger_events
BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
CREATE TRIGGER ledger_events_are_append_only_delete BEFORE DELETE ON ledger_events
BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
