-- Storage per case (issue 25): the documents of cases and events become bytes, their JSON packed
-- as a zstd frame against gridline's dictionary (crates/gridline-store/src/packed.rs); the
-- documents already stored keep their JSON, as bytes, and are read as they are. (PostgreSQL
-- compresses a value only above about 2 KB, which few documents reach.)
ALTER TABLE cases ALTER COLUMN doc TYPE BYTEA USING convert_to(doc, 'UTF8');
ALTER TABLE case_events ALTER COLUMN doc TYPE BYTEA USING convert_to(doc, 'UTF8');
