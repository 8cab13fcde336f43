-- Issue 13: the monthly user activity report and the teachers' time sheet (regulations §5: the
-- administrator analyses the keeping of the journals weekly), and teachers' absences with the
-- control start page's «lessons tomorrow without a teacher».

-- Activity of a month reads each source by the school and a time range.
CREATE INDEX diary_visit_day ON diary_visit (school_id, on_date);
CREATE INDEX diary_ack_at ON diary_ack (school_id, acknowledged_at);
CREATE INDEX message_sent ON message (school_id, sent_at);
-- The time sheet: journal entries of a month by actor. `account_event (school_id, at)` and
-- `audit_event (school_id, at)` exist already; this one reads only journal data events. The
-- list of actions is `reports::activity::JOURNAL_ACTIONS` (the query repeats it literally so
-- that the planner can use this index).
CREATE INDEX audit_event_journal_entry ON audit_event (school_id, at, actor_account_id)
    WHERE action IN ('mark.given', 'mark.corrected', 'mark.removed', 'mark.external',
                     'absence.marked', 'absence.removed', 'lesson.recorded',
                     'mark_column.added', 'mark_column.changed',
                     'period_mark.set', 'period_mark.deferred', 'period_mark.corrected');

-- A teacher's absence (illness, course, trip), registered by a deputy or the director: the
-- lessons of those days need a substitute. Removal deletes the row; the audit trail keeps it.
CREATE TABLE teacher_absence (
    school_id      bigint NOT NULL REFERENCES school (id),
    id             bigint GENERATED ALWAYS AS IDENTITY,
    teacher_id     bigint NOT NULL REFERENCES account (id),
    starts_on      date NOT NULL,
    ends_on        date NOT NULL,
    reason         text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
    registered_by  bigint NOT NULL REFERENCES account (id),
    registered_at  timestamptz NOT NULL,
    PRIMARY KEY (school_id, id),
    CHECK (ends_on >= starts_on)
);
CREATE INDEX teacher_absence_days ON teacher_absence (school_id, ends_on, starts_on);
ALTER TABLE teacher_absence ENABLE ROW LEVEL SECURITY;
CREATE POLICY school_wall ON teacher_absence USING (zhurnal_school_visible(school_id))
    WITH CHECK (zhurnal_school_visible(school_id));

-- The lessons of the next school day after `p_today` (the first later date with a lesson to be
-- given) whose teacher is absent that day: the timetable's teacher when there is no
-- substitution, the substitute when there is one (a substitute who is absent too leaves the
-- lesson without a teacher). The start page counts these rows and `/control/no-teacher` lists
-- them, so both agree. Security invoker: row security walls it like any query of the caller.
CREATE FUNCTION control_no_teacher(p_school bigint, p_today date)
RETURNS TABLE (lesson_id bigint, lesson_date date, absent_teacher_id bigint)
LANGUAGE sql STABLE AS $$
WITH next_day AS (
    SELECT min(l.lesson_date) AS day FROM lesson l
    WHERE l.school_id = p_school AND l.lesson_date > p_today AND l.status = 'scheduled'
)
SELECT l.id, l.lesson_date, coalesce(sb.teacher_id, l.teacher_id)
FROM next_day n
JOIN lesson l ON l.school_id = p_school AND l.lesson_date = n.day AND l.status = 'scheduled'
LEFT JOIN substitution sb ON sb.school_id = l.school_id AND sb.lesson_id = l.id
WHERE EXISTS (SELECT 1 FROM teacher_absence ta
              WHERE ta.school_id = p_school
                AND ta.teacher_id = coalesce(sb.teacher_id, l.teacher_id)
                AND ta.starts_on <= l.lesson_date AND ta.ends_on >= l.lesson_date)
$$;
