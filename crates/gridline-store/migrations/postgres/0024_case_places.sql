-- Where each case is (issue 20, maps of cases): the longitude and latitude of its intake (WGS 84),
-- beside the filters, so that the dashboard map reads the places of 100,000 cases without unpacking
-- a document. NULL when the case came without a place. A case's place never changes after intake,
-- so only the intake writes these columns. No index: intake pays nothing for them but the two
-- values; the map reads them through the filters' own indexes (or a scan of the open cases).
ALTER TABLE cases ADD COLUMN lon DOUBLE PRECISION;
ALTER TABLE cases ADD COLUMN lat DOUBLE PRECISION;

-- Cases filed before this migration hold their place in their packed intake event only: the store
-- copies it into the columns once, when it next opens (gridline_store::places::backfill), and
-- then deletes this row.
CREATE TABLE pending_backfills (name TEXT PRIMARY KEY);
INSERT INTO pending_backfills (name) SELECT 'case_places' WHERE EXISTS (SELECT 1 FROM cases);
