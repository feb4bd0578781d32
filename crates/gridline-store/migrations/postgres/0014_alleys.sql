-- 背街小巷 (issue 22): the alley registry on top of the inspection points (an alley is a point of
-- type back_alley: its code, name, line, street and unit live there), its stewards, the daily
-- patrols (日巡), the weekly checks (周查), the monthly scores (月评) and the history of what the
-- months changed (grade, listing, title). Listed supervision is a `listings` row of kind 'alley'.

-- four, standing and title are gridline_core::alley::{FourHaves, Standing, Title} as JSON; grade is
-- the standing's grade in force, for filters.
CREATE TABLE alleys (
    point_id   BIGINT PRIMARY KEY REFERENCES inspection_points(id),
    community  TEXT,
    length_m   DOUBLE PRECISION NOT NULL,
    awarded    TEXT NOT NULL,
    grade      TEXT NOT NULL,
    four       TEXT NOT NULL,
    standing   TEXT NOT NULL,
    title      TEXT,
    created_at BIGINT NOT NULL
);

-- 小巷管家: the users who patrol an alley.
CREATE TABLE alley_stewards (
    alley_id BIGINT NOT NULL REFERENCES alleys(point_id),
    user_id  BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (alley_id, user_id)
);
CREATE INDEX alley_stewards_user ON alley_stewards (user_id);

-- 日巡: one row per patrol, keyed by the id the steward's phone gave it (sent twice, stored once).
-- findings is a JSON array of {clause, count, note, case_id}; day is the Beijing date.
CREATE TABLE alley_patrols (
    id         TEXT PRIMARY KEY,
    alley_id   BIGINT NOT NULL REFERENCES alleys(point_id),
    steward    BIGINT NOT NULL,
    day        TEXT NOT NULL,
    at         BIGINT NOT NULL,
    lat        DOUBLE PRECISION,
    lon        DOUBLE PRECISION,
    problems   BIGINT NOT NULL,
    findings   TEXT NOT NULL
);
CREATE INDEX alley_patrols_alley ON alley_patrols (alley_id, day);
CREATE INDEX alley_patrols_day ON alley_patrols (day);

-- 周查: a check of an alley against the standard; earned/possible are its 十无 points, answers the
-- scored answers as JSON, standard the version scored under.
CREATE TABLE alley_checks (
    alley_id   BIGINT NOT NULL REFERENCES alleys(point_id),
    day        TEXT NOT NULL,
    month      TEXT NOT NULL,
    standard   TEXT NOT NULL,
    earned     DOUBLE PRECISION NOT NULL,
    possible   DOUBLE PRECISION NOT NULL,
    answers    TEXT NOT NULL,
    checked_by BIGINT NOT NULL,
    checked_at BIGINT NOT NULL,
    PRIMARY KEY (alley_id, day)
);
CREATE INDEX alley_checks_month ON alley_checks (month, alley_id);

-- 月评: an alley's score of a month (gridline_core::alley::MonthScore) and the grade it left.
CREATE TABLE alley_scores (
    month         TEXT NOT NULL,
    alley_id      BIGINT NOT NULL REFERENCES alleys(point_id),
    region        TEXT NOT NULL,
    score         DOUBLE PRECISION NOT NULL,
    checks        BIGINT NOT NULL,
    check_mean    DOUBLE PRECISION NOT NULL,
    hotline_cases BIGINT NOT NULL,
    other_cases   BIGINT NOT NULL,
    deduction     DOUBLE PRECISION NOT NULL,
    grade         TEXT NOT NULL,
    PRIMARY KEY (month, alley_id)
);
CREATE INDEX alley_scores_region ON alley_scores (month, region);
CREATE INDEX alley_scores_alley ON alley_scores (alley_id, month);

-- What each month changed (gridline_core::alley::Change as JSON), in order.
CREATE TABLE alley_changes (
    alley_id BIGINT NOT NULL REFERENCES alleys(point_id),
    month    TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    change   TEXT NOT NULL,
    at       BIGINT NOT NULL,
    PRIMARY KEY (alley_id, month, seq)
);
