-- The to-do inbox (issue 20 item 2): which of a user's inbox items they have read. An item's
-- key names what it is about and the moment it arose (`assigned:42:1764979200000`,
-- `order:7`), so a case dispatched again, or a new reminder, is a new unread item. The items
-- themselves are computed from the cases, orders and reminders (gridline_app::inbox); only the
-- reading is stored. Rows older than the inbox looks back are pruned when a user marks items read.
CREATE TABLE inbox_reads (
    user_id BIGINT NOT NULL,
    item    TEXT NOT NULL,
    read_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, item)
);
CREATE INDEX inbox_reads_read_at ON inbox_reads (read_at);
