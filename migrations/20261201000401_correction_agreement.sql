-- Regulations §3 J6: a mistaken period mark is changed only by a deputy on the teacher's written
-- explanation, and «changing marks needs the director's agreement» (003: «запрещается исправление
-- отметок без согласования с директором школы»; 004 §1.5: the explanation is addressed to the
-- director). The school says whether the director's agreement is required (the default, per the
-- seeds) or a deputy's approval suffices.

ALTER TABLE school
    ADD COLUMN correction_needs_director boolean NOT NULL DEFAULT true;

COMMENT ON COLUMN school.correction_needs_director IS
    'Regulations §3 J6: a deputy''s approval of a period-mark correction waits for the director''s agreement (true, the default) or applies it at once (false).';

-- A request now goes: pending (the teacher asked) → awaiting_director (a deputy approved) →
-- approved (the director agreed: applied), or rejected at either step. A director who approves a
-- pending request approves and agrees at once. decided_* is the closing decision (applied or
-- refused), approved_* the deputy's (or the director's) approval, agreed_* the director's
-- agreement.
ALTER TABLE correction_request
    DROP CONSTRAINT correction_request_status_check,
    DROP CONSTRAINT correction_request_check,
    ADD COLUMN approved_by   bigint REFERENCES account (id),
    ADD COLUMN approved_at   timestamptz,
    ADD COLUMN approval_note text CHECK (approval_note IS NULL OR length(approval_note) <= 1000),
    ADD COLUMN agreed_by     bigint REFERENCES account (id),
    ADD COLUMN agreed_at     timestamptz;

-- Requests applied before: their decision was the approval.
UPDATE correction_request
SET approved_by = decided_by, approved_at = decided_at, approval_note = decision_note
WHERE status = 'approved';

ALTER TABLE correction_request
    ADD CONSTRAINT correction_request_status_check
        CHECK (status IN ('pending', 'awaiting_director', 'approved', 'rejected')),
    ADD CONSTRAINT correction_request_open_check
        CHECK ((status IN ('pending', 'awaiting_director')) = (decided_at IS NULL)),
    ADD CONSTRAINT correction_request_approval_check
        CHECK ((status IN ('awaiting_director', 'approved')) <= (approved_at IS NOT NULL)
               AND (approved_by IS NULL) = (approved_at IS NULL)),
    ADD CONSTRAINT correction_request_agreement_check
        CHECK ((agreed_by IS NULL) = (agreed_at IS NULL)
               AND (agreed_at IS NULL OR status = 'approved'));

-- One open request per period mark: awaiting the deputy or the director.
DROP INDEX correction_request_one_open;
CREATE UNIQUE INDEX correction_request_one_open
    ON correction_request (school_id, group_id, period_id, pupil_id)
    WHERE status IN ('pending', 'awaiting_director');
