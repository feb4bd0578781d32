-- Supervision, campaigns, the watch list and the monthly rollups behind rates and rankings.
-- Rollups are derived from case_events and can be rebuilt from them (`gridline rollups rebuild`).
-- They are WITHOUT ROWID: a month's rows of a district are then one contiguous range of the
-- primary key, read without a lookup per row (a district's hotspot list reads ~80k of them at
-- 1M cases a year).

-- Rate counters per month (YYYY-MM, Beijing time), street and unit ('' before any dispatch).
-- The counter columns are gridline_core::rollup::RateCounts, in its order.
CREATE TABLE rollup_rates (
    month               TEXT NOT NULL,
    region              TEXT NOT NULL,
    unit                TEXT NOT NULL,
    registered          INTEGER NOT NULL,
    rejected            INTEGER NOT NULL,
    merged              INTEGER NOT NULL,
    dispatched          INTEGER NOT NULL,
    returned            INTEGER NOT NULL,
    responded           INTEGER NOT NULL,
    closed              INTEGER NOT NULL,
    closed_on_time      INTEGER NOT NULL,
    closed_reworked     INTEGER NOT NULL,
    closed_extended     INTEGER NOT NULL,
    called_back         INTEGER NOT NULL,
    resolved            INTEGER NOT NULL,
    satisfied           INTEGER NOT NULL,
    basically_satisfied INTEGER NOT NULL,
    supervised          INTEGER NOT NULL,
    PRIMARY KEY (month, region, unit)
) WITHOUT ROWID;
CREATE INDEX rollup_rates_unit ON rollup_rates (month, unit);

-- Registered cases per month received, street, catalogue entry and channel.
CREATE TABLE rollup_volume (
    month    TEXT NOT NULL,
    region   TEXT NOT NULL,
    category TEXT NOT NULL,
    channel  TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (month, region, category, channel)
) WITHOUT ROWID;

-- 专项整治
CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    theme       TEXT NOT NULL,
    entries     TEXT NOT NULL,          -- JSON array of catalogue codes
    regions     TEXT NOT NULL,          -- JSON array of region codes; [] = the whole city
    first_month TEXT NOT NULL,
    last_month  TEXT NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

-- 督办 orders on a case, a unit or a place, and the reply of the supervised.
CREATE TABLE supervision_orders (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    target_kind TEXT NOT NULL,          -- case | unit | place
    target      TEXT NOT NULL,
    level       TEXT NOT NULL,
    note        TEXT NOT NULL,
    deadline    INTEGER NOT NULL,
    raised_by   INTEGER NOT NULL,
    raised_at   INTEGER NOT NULL,
    reply       TEXT,
    replied_by  INTEGER,
    replied_at  INTEGER
);
CREATE INDEX supervision_orders_target ON supervision_orders (target_kind, target);

-- 挂牌督办: a place or unit on the public list until a check after its deadline passes.
CREATE TABLE listings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,         -- place | unit
    target       TEXT NOT NULL,
    name         TEXT NOT NULL,
    region       TEXT,
    reason       TEXT NOT NULL,
    deadline     INTEGER NOT NULL,
    listed_by    INTEGER NOT NULL,
    listed_at    INTEGER NOT NULL,
    checks       TEXT NOT NULL,         -- JSON array of {passed, note, by, at}
    delisted_at  INTEGER
);
CREATE UNIQUE INDEX listings_one_open_per_target ON listings (kind, target) WHERE delisted_at IS NULL;

-- 双向督办: a creation-drive finding and the hotline case about the same problem.
CREATE TABLE case_links (
    finding_case INTEGER NOT NULL REFERENCES cases(id),
    hotline_case INTEGER NOT NULL REFERENCES cases(id),
    linked_by    INTEGER NOT NULL,
    linked_at    INTEGER NOT NULL,
    PRIMARY KEY (finding_case, hotline_case)
);
CREATE INDEX case_links_hotline ON case_links (hotline_case);

-- Reminders sent by the sweep: one per case, kind and deadline, so a sweep never repeats one.
CREATE TABLE reminders (
    case_id  INTEGER NOT NULL REFERENCES cases(id),
    kind     TEXT NOT NULL,             -- due_soon | overdue
    deadline INTEGER NOT NULL,
    unit     TEXT,
    at       INTEGER NOT NULL,
    PRIMARY KEY (case_id, kind, deadline)
);
CREATE INDEX reminders_at ON reminders (at);

-- 未诉先办: (place, problem) pairs inspected on a schedule while they stand.
CREATE TABLE watch_list (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    region      TEXT NOT NULL,
    place       TEXT NOT NULL,
    category    TEXT NOT NULL,
    every_days  INTEGER NOT NULL,
    next_due    INTEGER NOT NULL,
    active      INTEGER NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    last_case   INTEGER
);
CREATE UNIQUE INDEX watch_list_one_active ON watch_list (region, place, category) WHERE active = 1;
