-- Issue 13: the control start page's lesson problems take a last day too. The timeliness
-- report asks for the problems of a range of dates (a quarter long past, say) and read every
-- lesson of the year from the range's first day up to today, to keep those of the range: its
-- statement 47 → 31 ms on the demo's first quarter, the same rows. The start page and the lists
-- pass 'infinity' (up to today, as before). Otherwise as in 20261206000105_control_problems_days.
DROP FUNCTION control_lesson_problems(bigint, bigint, timestamp, timestamptz, date);

CREATE FUNCTION control_lesson_problems(p_school bigint, p_year bigint, p_now timestamp,
                                        p_week_start timestamptz, p_from date, p_to date)
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
      AND l.status IN ('scheduled', 'held')
      AND l.lesson_date BETWEEN p_from AND least(p_to, p_now::date)
), nohw AS MATERIALIZED (
    SELECT les.* FROM les WHERE les.homework IS NULL AND NOT les.homework_none
), day_lessons AS MATERIALIZED (
    -- The lessons of the days of those lessons, from the index on the date: the days as an
    -- array (with `IN (SELECT …)` the planner read every lesson of the school and hashed).
    SELECT l2.group_id, l2.lesson_date, l2.lesson_number
    FROM lesson l2
    WHERE l2.school_id = p_school
      AND l2.lesson_date = ANY (ARRAY(SELECT DISTINCT lesson_date FROM nohw))
      AND l2.status <> 'cancelled'
), day_end AS MATERIALIZED (
    -- The end of each class's last lesson of those days, per shift.
    SELECT g2.class_id, dl.lesson_date, b.shift, max(b.ends_at) AS ends_at
    FROM day_lessons dl
    JOIN study_group g2 ON g2.school_id = p_school AND g2.id = dl.group_id
                       AND g2.class_id IS NOT NULL
    JOIN bell b ON b.school_id = p_school AND b.academic_year_id = g2.academic_year_id
               AND b.lesson_number = dl.lesson_number
    GROUP BY g2.class_id, dl.lesson_date, b.shift
), late AS MATERIALIZED (
    -- Marks entered late (J1–J2), from their partial index: a few thousand a year. Joined from
    -- the lessons instead, the planner probed the columns of every lesson of the year.
    SELECT m.pupil_id, mc.lesson_id
    FROM mark m
    JOIN mark_column mc ON mc.school_id = m.school_id AND mc.id = m.column_id
    WHERE m.school_id = p_school AND m.late_entry AND m.value IS NOT NULL
      AND m.entered_at >= p_week_start
), written AS MATERIALIZED (
    -- Columns of written works (J4) past their checking period with not one mark: few, so the
    -- «pupils present» test below runs on those only.
    SELECT mc.id, les.id AS lesson_id, les.group_id, les.teacher_id, les.lesson_date, w.name
    FROM mark_column mc
    JOIN work_type w ON w.school_id = mc.school_id AND w.id = mc.work_type_id
    JOIN les ON les.id = mc.lesson_id
    WHERE mc.school_id = p_school AND w.checking_days > 0
      AND les.lesson_date + w.checking_days < p_now::date
      AND NOT EXISTS (SELECT 1 FROM mark m
                      WHERE m.school_id = mc.school_id AND m.column_id = mc.id
                        AND m.value IS NOT NULL)
)
SELECT 'no_topic', les.id, les.group_id, les.teacher_id, les.lesson_date, NULL::text
FROM les
WHERE les.lesson_date < p_now::date AND (les.topic IS NULL OR btrim(les.topic) = '')
UNION ALL
SELECT 'no_homework', n.id, n.group_id, n.teacher_id, n.lesson_date, NULL
FROM nohw n
LEFT JOIN day_end d ON d.class_id = n.class_id AND d.lesson_date = n.lesson_date
                   AND d.shift = n.shift
-- A lesson without a class (a stream) ends its own day.
LEFT JOIN bell own ON own.school_id = p_school AND own.academic_year_id = p_year
                  AND own.shift = n.shift AND own.lesson_number = n.lesson_number
CROSS JOIN LATERAL (SELECT greatest(d.ends_at, own.ends_at) AS day_end) e
WHERE CASE WHEN e.day_end IS NULL THEN n.lesson_date + time '23:59:59'
           ELSE n.lesson_date + e.day_end
                + make_interval(mins => (SELECT s.homework_window_minutes FROM school s
                                         WHERE s.id = p_school))
      END < p_now
UNION ALL
SELECT 'late_mark', les.id, les.group_id, les.teacher_id, les.lesson_date,
       p.last_name || ' ' || p.first_name
FROM late
JOIN les ON les.id = late.lesson_id
JOIN pupil p ON p.school_id = p_school AND p.id = late.pupil_id
UNION ALL
SELECT 'unchecked', wr.lesson_id, wr.group_id, wr.teacher_id, wr.lesson_date, wr.name
FROM written wr
WHERE EXISTS (SELECT 1 FROM group_pupil gp
              WHERE gp.school_id = p_school AND gp.group_id = wr.group_id
                AND gp.starts_on <= wr.lesson_date
                AND (gp.ends_on IS NULL OR gp.ends_on >= wr.lesson_date)
                AND NOT EXISTS (SELECT 1 FROM absence a
                                WHERE a.school_id = p_school AND a.lesson_id = wr.lesson_id
                                  AND a.pupil_id = gp.pupil_id AND a.absent))
$$;
