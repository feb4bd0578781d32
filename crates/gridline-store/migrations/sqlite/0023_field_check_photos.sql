-- Photos of field checks (issue 21 item 3): the attachments an evaluator took of a clause at a
-- point in a round, kept with the answer. A failed clause's case carries the same attachments
-- (case_attachments, stage intake); these rows keep them with the check itself, for the point's
-- result and for who may see them.
CREATE TABLE evaluation_answer_photos (
    round_id      INTEGER NOT NULL,
    point_id      INTEGER NOT NULL,
    clause        TEXT NOT NULL,
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    PRIMARY KEY (round_id, point_id, clause, attachment_id),
    FOREIGN KEY (round_id, point_id, clause) REFERENCES evaluation_answers(round_id, point_id, clause)
);
CREATE INDEX evaluation_answer_photos_attachment ON evaluation_answer_photos (attachment_id);
