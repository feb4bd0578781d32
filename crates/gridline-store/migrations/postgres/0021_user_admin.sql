-- Administration from the web (issue 20, item 5): a user can be disabled (signed out everywhere
-- and refused at sign-in, their history kept), and the audit log names the unit an action was
-- done to (`username` already names the account).
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE audit_log ADD COLUMN subject TEXT;
CREATE INDEX audit_log_actor ON audit_log (actor);
