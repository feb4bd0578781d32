-- The dashboard from stored aggregates (issue 19) instead of a replay of every case:
-- - cases received per month and street, beside the other rate counters (the dashboard's totals);
-- - cases received and finished per day and street (its trend and today's figures);
-- - on each case row, from when its clock is due soon and whether it was ever supervised, so
--   that open, overdue, due-soon and supervised cases now are counts over one index of the
--   open cases.
-- The new counters of a store that already holds cases are folded from the events, and the
-- due-soon instants of its running clocks computed, when it is next opened (gridline_store's
-- rollups module: a store with cases and no daily counters).
ALTER TABLE rollup_rates ADD COLUMN received BIGINT NOT NULL DEFAULT 0;

CREATE TABLE rollup_daily (
    day      TEXT NOT NULL,     -- YYYY-MM-DD, Beijing time
    region   TEXT NOT NULL,     -- the street ('' when not known)
    received BIGINT NOT NULL,
    closed   BIGINT NOT NULL,  -- closed, rejected or merged that day
    PRIMARY KEY (day, region)
);

ALTER TABLE cases ADD COLUMN due_soon_at BIGINT;
ALTER TABLE cases ADD COLUMN supervised BIGINT NOT NULL DEFAULT 0;
UPDATE cases SET supervised = 1 WHERE (doc::jsonb ->> 'supervision_count')::bigint > 0;

-- Open cases only (the statuses CaseStatus::is_open does not exclude), by region and covering
-- what the dashboard counts of them: a city's open cases are read in region order without a
-- look-up in the table. The dashboard's query repeats the condition word for word so that the
-- planner may take this index.
CREATE INDEX cases_open ON cases (region, deadline, due_soon_at, supervised, status)
    WHERE status NOT IN ('rejected', 'merged', 'closed', 'called_back');
