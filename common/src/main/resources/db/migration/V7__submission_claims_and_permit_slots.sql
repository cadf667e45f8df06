-- Submission: 'claimed' is a generation an instance has taken but whose request is not on the wire yet. A claim
-- whose holder stopped goes back to 'pending'; only 'sending' (the request may have been written) is settled as
-- ambiguous when its lease runs out.
ALTER TABLE generations DROP CONSTRAINT generations_submit_state_check;
ALTER TABLE generations ADD CONSTRAINT generations_submit_state_check
    CHECK (submit_state IN ('pending','claimed','sending','done'));

-- The sweep asks per enabled provider for the earliest due rows, and for leases run out; a queued backlog of a
-- provider that is disabled here, or of rows not due yet, is never read.
CREATE INDEX generations_submit_pending_idx ON generations (provider, next_submit_at)
    WHERE status = 'queued' AND submit_state = 'pending';
CREATE INDEX generations_submit_taken_idx ON generations (provider, next_submit_at)
    WHERE status = 'queued' AND submit_state IN ('claimed','sending');
DROP INDEX generations_submit_due_idx;

-- Fleet-wide request budget (ORCH_PROVIDER_<ID>_MAX_RPM) as a sliding window: a request takes a slot last used
-- more than 60 s ago, or adds one while a provider has fewer than its budget. Each slot is used at most once in
-- any 60 s, so no 60 s window holds more than the budget; a refused request finds no slot and writes nothing.
CREATE TABLE provider_permit_slots (
    provider text        NOT NULL,
    slot     integer     NOT NULL,
    used_at  timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (provider, slot)
);
-- the longest-idle slot first, without reading the busy ones
CREATE INDEX provider_permit_slots_idle_idx ON provider_permit_slots (provider, used_at);
-- provider_rate_windows (the fixed-minute counters this replaces) stays until a later version, so that instances
-- of the previous version still running during an upgrade keep a working gate.
