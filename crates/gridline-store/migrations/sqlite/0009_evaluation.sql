-- The evaluation (测评, issue 21) and the point-and-checklist mechanism the alley patrols share:
-- indicator-system revisions, inspection points (点位), rounds of field checks with their drawn
-- points, and the answers, each scored when given under its round's revision.

-- An indicator system as imported: its TOML document, one revision per import and year.
CREATE TABLE evaluation_systems (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    year       INTEGER NOT NULL,
    revision   INTEGER NOT NULL,
    document   TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (year, revision)
);

-- 点位: typed places; location is gridline_core::evaluation::Location as JSON, lat/lon its anchor.
CREATE TABLE inspection_points (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    point_type TEXT NOT NULL,
    region     TEXT NOT NULL,          -- the street, by gridline's locate
    location   TEXT NOT NULL,
    lat        REAL NOT NULL,
    lon        REAL NOT NULL,
    unit       TEXT,
    address    TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX inspection_points_region ON inspection_points (region, point_type);

-- A round of field checks; seed is the u64 seed's bits, plan the SamplingPlan as JSON.
CREATE TABLE evaluation_rounds (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    system_id  INTEGER NOT NULL REFERENCES evaluation_systems(id),
    name       TEXT NOT NULL,
    starts     TEXT NOT NULL,          -- YYYY-MM-DD
    month      TEXT NOT NULL,          -- YYYY-MM of starts: the period it counts in
    deadline   INTEGER NOT NULL,
    seed       INTEGER NOT NULL,
    plan       TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX evaluation_rounds_month ON evaluation_rounds (month);

-- The points a round drew and the evaluator each is assigned to.
CREATE TABLE evaluation_assignments (
    round_id INTEGER NOT NULL REFERENCES evaluation_rounds(id),
    point_id INTEGER NOT NULL REFERENCES inspection_points(id),
    assignee INTEGER NOT NULL,
    PRIMARY KEY (round_id, point_id)
);
CREATE INDEX evaluation_assignments_assignee ON evaluation_assignments (assignee, round_id);

-- One answer per round, point and clause; earned is NULL for not applicable. A failure's case
-- is the one filed through the intake for it.
CREATE TABLE evaluation_answers (
    round_id    INTEGER NOT NULL,
    point_id    INTEGER NOT NULL,
    clause      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    found       INTEGER,
    earned      REAL,
    possible    REAL NOT NULL,
    note        TEXT,
    lat         REAL,
    lon         REAL,
    case_id     INTEGER REFERENCES cases(id),
    answered_by INTEGER NOT NULL,
    answered_at INTEGER NOT NULL,
    PRIMARY KEY (round_id, point_id, clause),
    FOREIGN KEY (round_id, point_id) REFERENCES evaluation_assignments(round_id, point_id)
);
CREATE INDEX evaluation_answers_case ON evaluation_answers (case_id);
CREATE INDEX evaluation_answers_point ON evaluation_answers (point_id);
