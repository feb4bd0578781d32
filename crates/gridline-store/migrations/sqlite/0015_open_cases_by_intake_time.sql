-- The open cases' index keyed by time of intake first (issue 19): keyed by region first, every
-- new case wrote its entry into a random leaf of it, one more page in the WAL per case (intake
-- about a fifth slower, measured in BENCHMARKS.md); by time of intake, a batch of new cases
-- appends to the same leaf. The dashboard still reads open cases only, covered by this index,
-- and groups them by region itself.
DROP INDEX cases_open;
CREATE INDEX cases_open ON cases (received_at, region, deadline, due_soon_at, supervised, status)
    WHERE status NOT IN ('rejected', 'merged', 'closed', 'called_back');
