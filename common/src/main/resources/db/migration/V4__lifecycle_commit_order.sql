-- GET /v1/events pages by seq, so seq must follow commit order: with a bigserial, a transaction that took seq 100
-- could commit after one that took 101, and a reader that already moved past 101 would never see 100. Every
-- writer now takes its seq from this one row, whose lock it holds until it commits; the lifecycle insert is the
-- last step of a transition, so the lock is held for one statement and the commit.
CREATE TABLE lifecycle_seq (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    last_seq bigint  NOT NULL
);
INSERT INTO lifecycle_seq (last_seq) SELECT coalesce(max(seq), 0) FROM lifecycle_events;
