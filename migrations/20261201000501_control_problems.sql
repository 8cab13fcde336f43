-- Issue 13: what the school's management must look at (regulations §5), one set of rows the
-- start page counts, the lists show and the list of journals sorts by. Each row is a problem of
-- one lesson of the year `p_year`:
--   no_topic     a lesson of a past day, neither moved nor cancelled, without a topic (J1: the
--                topic is written on the lesson's day);
--   no_homework  such a lesson (today's too) with neither homework nor «Не задано» once the J7
--                window is over: the class's last lesson of the day + homework_window_minutes, or
--                the end of the day without bells (rules::journal::homework_deadline);
--   late_mark    a mark entered late (J1, J2, J4: mark.late_entry) since `p_week_start`, one row
--                per mark;
--   unchecked    a mark column of a written work type (J4: checking_days > 0) whose checking
--                period is over (lesson date + checking days before today) with pupils present at
--                the lesson and not one mark in the column, one row per column.
-- `p_now` is the school's wall clock. The teacher is the registered substitute where there is
-- one (J15), else the lesson's teacher. Security invoker (the default): row security walls it
-- like any query of the caller.
CREATE FUNCTION control_lesson_problems(p_school bigint, p_year bigint, p_now timestamp,
                                        p_week_start timestamptz)
RETURNS TABLE (kind text, lesson_id bigint, group_id bigint, teacher_id bigint,
               lesson_date date, detail text)
LANGUAGE sql STABLE AS $$
WITH les AS (
    SELECT l.id, l.group_id, l.lesson_date, l.lesson_number, l.topic, l.homework,
           l.homework_none, coalesce(sb.teacher_id, l.teacher_id) AS teacher_id, g.class_id,
           coalesce(c.shift, ts.shift, 1) AS shift
    FROM lesson l
    JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
    LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
    LEFT JOIN timetable_slot ts ON ts.school_id = l.school_id AND ts.id = l.slot_id
    LEFT JOIN substitution sb ON sb.school_id = l.school_id AND sb.lesson_id = l.id
    WHERE l.school_id = p_school AND g.academic_year_id = p_year
      AND l.status IN ('scheduled', 'held') AND l.lesson_date <= p_now::date
)
SELECT 'no_topic', les.id, les.group_id, les.teacher_id, les.lesson_date, NULL::text
FROM les
WHERE les.lesson_date < p_now::date AND (les.topic IS NULL OR btrim(les.topic) = '')
UNION ALL
SELECT 'no_homework', les.id, les.group_id, les.teacher_id, les.lesson_date, NULL
FROM les
CROSS JOIN LATERAL (
    SELECT max(b.ends_at) AS day_end
    FROM lesson l2
    JOIN study_group g2 ON g2.school_id = l2.school_id AND g2.id = l2.group_id
    JOIN bell b ON b.school_id = l2.school_id AND b.academic_year_id = g2.academic_year_id
               AND b.shift = les.shift AND b.lesson_number = l2.lesson_number
    WHERE l2.school_id = p_school AND l2.lesson_date = les.lesson_date
      AND l2.status <> 'cancelled'
      AND (g2.class_id = les.class_id OR l2.id = les.id)
) d
WHERE les.homework IS NULL AND NOT les.homework_none
  AND CASE WHEN d.day_end IS NULL THEN les.lesson_date + time '23:59:59'
           ELSE les.lesson_date + d.day_end
                + make_interval(mins => (SELECT s.homework_window_minutes FROM school s
                                         WHERE s.id = p_school))
      END < p_now
UNION ALL
SELECT 'late_mark', les.id, les.group_id, les.teacher_id, les.lesson_date,
       p.last_name || ' ' || p.first_name
FROM mark m
JOIN mark_column mc ON mc.school_id = m.school_id AND mc.id = m.column_id
JOIN les ON les.id = mc.lesson_id
JOIN pupil p ON p.school_id = m.school_id AND p.id = m.pupil_id
WHERE m.school_id = p_school AND m.late_entry AND m.value IS NOT NULL
  AND m.entered_at >= p_week_start
UNION ALL
SELECT 'unchecked', les.id, les.group_id, les.teacher_id, les.lesson_date, w.name
FROM mark_column mc
JOIN work_type w ON w.school_id = mc.school_id AND w.id = mc.work_type_id
JOIN les ON les.id = mc.lesson_id
WHERE mc.school_id = p_school AND w.checking_days > 0
  AND les.lesson_date + w.checking_days < p_now::date
  AND NOT EXISTS (SELECT 1 FROM mark m
                  WHERE m.school_id = mc.school_id AND m.column_id = mc.id
                    AND m.value IS NOT NULL)
  AND EXISTS (SELECT 1 FROM group_pupil gp
              WHERE gp.school_id = p_school AND gp.group_id = les.group_id
                AND gp.starts_on <= les.lesson_date
                AND (gp.ends_on IS NULL OR gp.ends_on >= les.lesson_date)
                AND NOT EXISTS (SELECT 1 FROM absence a
                                WHERE a.school_id = p_school AND a.lesson_id = les.id
                                  AND a.pupil_id = gp.pupil_id AND a.absent))
$$;

-- The marks entered late this week (the start page's count) without reading every mark.
CREATE INDEX mark_late_entered ON mark (school_id, entered_at) WHERE late_entry;
