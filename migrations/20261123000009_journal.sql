-- The journal (regulations §3, J1–J17): what the teacher records at a lesson — topic, homework,
-- attendance, marks in columns with work types — period marks with their correction requests,
-- substitutions and transfers, a deputy's unlocks and remarks.
--
-- Cells keep their identity: a mark or an absence row is never deleted, a removed mark keeps its
-- row with value NULL, so that a cell's history is the audit trail of one row.

-- What the teacher writes about a lesson.
ALTER TABLE lesson
    -- J7: homework text; «Не задано» is recorded explicitly (homework_none), never as empty text.
    ADD COLUMN homework          text CHECK (homework IS NULL OR length(btrim(homework)) BETWEEN 1 AND 2000),
    ADD COLUMN homework_none     boolean NOT NULL DEFAULT false,
    ADD COLUMN homework_minutes  smallint CHECK (homework_minutes BETWEEN 1 AND 600),
    ADD COLUMN teacher_comment   text CHECK (teacher_comment IS NULL OR length(teacher_comment) <= 1000),
    -- J1: the topic (or attendance) was recorded after the lesson day.
    ADD COLUMN late_entry        boolean NOT NULL DEFAULT false,
    -- A lesson moved here from another date (the original keeps status 'moved').
    ADD COLUMN moved_from_id     bigint,
    -- Why a lesson was moved or cancelled.
    ADD COLUMN change_reason     text CHECK (change_reason IS NULL OR length(change_reason) <= 500),
    ADD CONSTRAINT lesson_homework_one_way CHECK (NOT (homework_none AND homework IS NOT NULL)),
    ADD CONSTRAINT lesson_moved_from FOREIGN KEY (school_id, moved_from_id) REFERENCES lesson (school_id, id);
CREATE INDEX lesson_group_date ON lesson (school_id, group_id, lesson_date);

-- A mark column of a lesson: one work type (J5). A lesson has one by default («Ответ на уроке»)
-- and more when several works were done (a lesson answer and a test).
CREATE TABLE mark_column (
    school_id     bigint NOT NULL,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    lesson_id     bigint NOT NULL,
    position      smallint NOT NULL CHECK (position BETWEEN 1 AND 5),
    work_type_id  bigint NOT NULL,
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, lesson_id, position),
    FOREIGN KEY (school_id, lesson_id) REFERENCES lesson (school_id, id) ON DELETE CASCADE,
    FOREIGN KEY (school_id, work_type_id) REFERENCES work_type (school_id, id)
);

-- A current mark: the cell (column × pupil), or a mark from another institution (J16) with the
-- document it was brought with.
CREATE TABLE mark (
    school_id     bigint NOT NULL,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    group_id      bigint NOT NULL,
    pupil_id      bigint NOT NULL,
    column_id     bigint,
    work_type_id  bigint NOT NULL,
    -- NULL: the mark was removed (the row keeps the cell's history).
    value         text CHECK (value IN ('5', '4', '3', '2', 'pass', 'fail')),
    -- The day the work was done: the lesson's date, or the date in the document (J3, J16).
    given_on      date NOT NULL,
    -- J16: «справка … № … от …» of the hospital school or sanatorium.
    document      text CHECK (document IS NULL OR length(btrim(document)) BETWEEN 3 AND 300),
    -- J1/J2/J4: entered after its time, within the limits.
    late_entry    boolean NOT NULL DEFAULT false,
    entered_by    bigint NOT NULL REFERENCES account (id),
    entered_at    timestamptz NOT NULL,
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, column_id, pupil_id),
    FOREIGN KEY (school_id, group_id) REFERENCES study_group (school_id, id),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupil (school_id, id),
    FOREIGN KEY (school_id, column_id) REFERENCES mark_column (school_id, id),
    FOREIGN KEY (school_id, work_type_id) REFERENCES work_type (school_id, id),
    CHECK ((column_id IS NULL) = (document IS NOT NULL))
);
CREATE INDEX mark_group_pupil ON mark (school_id, group_id, pupil_id);
CREATE INDEX mark_pupil_day ON mark (school_id, pupil_id, given_on);

-- Attendance: a pupil absent from a lesson (J9), with the reason the class teacher sets.
CREATE TABLE absence (
    school_id   bigint NOT NULL,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    lesson_id   bigint NOT NULL,
    pupil_id    bigint NOT NULL,
    -- false: the mark was taken back (the row keeps the cell's history).
    absent      boolean NOT NULL DEFAULT true,
    reason      text CHECK (reason IN ('excused', 'unexcused', 'ill')),
    late_entry  boolean NOT NULL DEFAULT false,
    entered_by  bigint NOT NULL REFERENCES account (id),
    entered_at  timestamptz NOT NULL,
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, lesson_id, pupil_id),
    FOREIGN KEY (school_id, lesson_id) REFERENCES lesson (school_id, id),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupil (school_id, id)
);
CREATE INDEX absence_pupil ON absence (school_id, pupil_id);

-- J15: the teacher who replaces the timetable's one at a lesson, registered by a deputy.
CREATE TABLE substitution (
    school_id      bigint NOT NULL,
    lesson_id      bigint NOT NULL,
    teacher_id     bigint NOT NULL REFERENCES account (id),
    reason         text CHECK (reason IS NULL OR length(reason) <= 500),
    registered_by  bigint NOT NULL REFERENCES account (id),
    registered_at  timestamptz NOT NULL,
    PRIMARY KEY (school_id, lesson_id),
    FOREIGN KEY (school_id, lesson_id) REFERENCES lesson (school_id, id) ON DELETE CASCADE
);
CREATE INDEX substitution_teacher ON substitution (teacher_id);

-- J1, J13: a deputy reopens a locked lesson, or a whole journal (group), until a time.
CREATE TABLE journal_unlock (
    school_id   bigint NOT NULL,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    group_id    bigint NOT NULL,
    -- NULL: every lesson of the group.
    lesson_id   bigint,
    until       timestamptz NOT NULL,
    reason      text NOT NULL CHECK (length(btrim(reason)) BETWEEN 3 AND 500),
    granted_by  bigint NOT NULL REFERENCES account (id),
    granted_at  timestamptz NOT NULL,
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, group_id) REFERENCES study_group (school_id, id),
    FOREIGN KEY (school_id, lesson_id) REFERENCES lesson (school_id, id) ON DELETE CASCADE
);
CREATE INDEX journal_unlock_group ON journal_unlock (school_id, group_id, until);

-- J12: a pupil's mark for a study period in a group; it is the summary sheet's line (J14).
CREATE TABLE period_mark (
    school_id       bigint NOT NULL,
    group_id        bigint NOT NULL,
    period_id       bigint NOT NULL,
    pupil_id        bigint NOT NULL,
    -- 5, 4, 3, 2, Н/А, ОСВ, зачёт, незачёт; NULL while deferred.
    value           text CHECK (value IN ('5', '4', '3', '2', 'na', 'exempt', 'pass', 'fail')),
    -- A sick pupil's mark is deferred until this date.
    deferred_until  date,
    set_by          bigint NOT NULL REFERENCES account (id),
    set_at          timestamptz NOT NULL,
    PRIMARY KEY (school_id, group_id, period_id, pupil_id),
    FOREIGN KEY (school_id, group_id) REFERENCES study_group (school_id, id),
    FOREIGN KEY (school_id, period_id) REFERENCES study_period (school_id, id),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupil (school_id, id),
    CHECK (value IS NOT NULL OR deferred_until IS NOT NULL)
);
CREATE INDEX period_mark_pupil ON period_mark (school_id, pupil_id);

-- J6: a teacher's written explanation asking to change a period mark; a deputy decides.
CREATE TABLE correction_request (
    school_id       bigint NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    group_id        bigint NOT NULL,
    period_id       bigint NOT NULL,
    pupil_id        bigint NOT NULL,
    value_before    text,
    value_after     text NOT NULL CHECK (value_after IN ('5', '4', '3', '2', 'na', 'exempt', 'pass', 'fail')),
    explanation     text NOT NULL CHECK (length(btrim(explanation)) BETWEEN 10 AND 2000),
    requested_by    bigint NOT NULL REFERENCES account (id),
    requested_at    timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by      bigint REFERENCES account (id),
    decided_at      timestamptz,
    decision_note   text CHECK (decision_note IS NULL OR length(decision_note) <= 1000),
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, group_id, period_id, pupil_id)
        REFERENCES period_mark (school_id, group_id, period_id, pupil_id),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX correction_request_open ON correction_request (school_id, status);
-- One open request per period mark.
CREATE UNIQUE INDEX correction_request_one_open
    ON correction_request (school_id, group_id, period_id, pupil_id) WHERE status = 'pending';

-- §5: a deputy's remark on a journal, with the date by which the teacher fixes it.
CREATE TABLE journal_remark (
    school_id   bigint NOT NULL,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    group_id    bigint NOT NULL,
    text        text NOT NULL CHECK (length(btrim(text)) BETWEEN 3 AND 2000),
    due_on      date NOT NULL,
    author_id   bigint NOT NULL REFERENCES account (id),
    created_at  timestamptz NOT NULL,
    fixed_at    timestamptz,
    fixed_by    bigint REFERENCES account (id),
    fix_note    text CHECK (fix_note IS NULL OR length(fix_note) <= 1000),
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, group_id) REFERENCES study_group (school_id, id)
);
CREATE INDEX journal_remark_group ON journal_remark (school_id, group_id);
