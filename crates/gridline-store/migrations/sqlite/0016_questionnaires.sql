-- Questionnaires (问卷调查, issue 21): forms read from XLSForm, a public link per questionnaire
-- and district, responses (one per respondent: a device or an invitation token, idempotent), and
-- the satisfaction index's tallies kept current on write; the office's monthly 点评 text.

-- A questionnaire; form is gridline_core::evaluation::Form as JSON.
CREATE TABLE questionnaires (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    form       TEXT NOT NULL,
    status     TEXT NOT NULL,          -- draft | open | closed
    closes_at  INTEGER,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- The public form's link of a questionnaire in a district.
CREATE TABLE questionnaire_links (
    token            TEXT PRIMARY KEY,
    questionnaire_id INTEGER NOT NULL REFERENCES questionnaires(id),
    district         TEXT NOT NULL,
    UNIQUE (questionnaire_id, district)
);

-- One response per respondent; score is the respondent's satisfaction index, clauses the values
-- given to indicator clauses (JSON). A resubmission is the same when region and answers are.
CREATE TABLE questionnaire_responses (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    questionnaire_id INTEGER NOT NULL REFERENCES questionnaires(id),
    respondent       TEXT NOT NULL,
    channel          TEXT NOT NULL,    -- web | enumerator | import
    region           TEXT NOT NULL,    -- the respondent's street
    month            TEXT NOT NULL,    -- YYYY-MM of submitted_at, Beijing time
    answers          TEXT NOT NULL,
    score            REAL,
    clauses          TEXT NOT NULL,
    entered_by       INTEGER,
    submitted_at     INTEGER NOT NULL,
    UNIQUE (questionnaire_id, respondent)
);
CREATE INDEX questionnaire_responses_region ON questionnaire_responses (questionnaire_id, region);

-- Count, sum and sum of squares of respondents' values per questionnaire, street, month and
-- measure ('' the satisfaction index, else an indicator clause): the index, its margin of error
-- and the questionnaire method's sub-score are read from here, not from the responses.
CREATE TABLE questionnaire_tallies (
    questionnaire_id INTEGER NOT NULL,
    region           TEXT NOT NULL,
    month            TEXT NOT NULL,
    measure          TEXT NOT NULL,
    n                INTEGER NOT NULL,
    total            REAL NOT NULL,
    total_sq         REAL NOT NULL,
    PRIMARY KEY (questionnaire_id, region, month, measure)
);
CREATE INDEX questionnaire_tallies_month ON questionnaire_tallies (month, region);

-- The office's 点评 of a month's ranking, per district or street ('' for the whole city).
CREATE TABLE evaluation_comments (
    month      TEXT NOT NULL,
    region     TEXT NOT NULL,
    text       TEXT NOT NULL,
    written_by INTEGER NOT NULL,
    written_at INTEGER NOT NULL,
    PRIMARY KEY (month, region)
);

-- Field checks summed per month, street, indicator revision and clause, and the points checked
-- per month: kept with the answers (same transaction), read by rankings and health reports so
-- that they do not rescan every answer. Filled here from the answers given so far.
CREATE TABLE evaluation_tallies (
    month     TEXT NOT NULL,
    region    TEXT NOT NULL,
    system_id INTEGER NOT NULL,
    clause    TEXT NOT NULL,
    answers   INTEGER NOT NULL,
    earned    REAL NOT NULL,
    possible  REAL NOT NULL,
    PRIMARY KEY (month, region, system_id, clause)
);

CREATE TABLE evaluation_checked (
    month    TEXT NOT NULL,
    point_id INTEGER NOT NULL,
    region   TEXT NOT NULL,
    PRIMARY KEY (month, point_id)
);
CREATE INDEX evaluation_checked_region ON evaluation_checked (month, region);

INSERT INTO evaluation_tallies (month, region, system_id, clause, answers, earned, possible)
SELECT r.month, p.region, r.system_id, a.clause, COUNT(*), SUM(a.earned), SUM(a.possible)
FROM evaluation_answers a JOIN evaluation_rounds r ON r.id = a.round_id JOIN inspection_points p ON p.id = a.point_id
WHERE a.earned IS NOT NULL
GROUP BY r.month, p.region, r.system_id, a.clause;

INSERT INTO evaluation_checked (month, point_id, region)
SELECT DISTINCT r.month, a.point_id, p.region
FROM evaluation_answers a JOIN evaluation_rounds r ON r.id = a.round_id JOIN inspection_points p ON p.id = a.point_id
WHERE a.earned IS NOT NULL;
