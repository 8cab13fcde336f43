-- Issue 12, items 1 and 2: regenerating lessons keeps what a teacher planned, and «held» is a
-- fact of the lesson's date.

-- The lessons the timetable of a class (`p_class`) or of one group without a class (`p_group`)
-- produces from `p_from` to the end of the year: every working day of a line inside a study
-- period of the line's grade that is not a holiday for it. One definition for generating the
-- lessons, for keeping the ones still produced, and for finding those no longer produced.
-- SECURITY INVOKER (the default): the caller's row-level security applies.
CREATE FUNCTION timetable_lessons(p_school bigint, p_class bigint, p_group bigint, p_from date)
RETURNS TABLE (group_id bigint, lesson_date date, lesson_number smallint, teacher_id bigint,
               room_id bigint, slot_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT s.group_id, d::date, s.lesson_number, s.teacher_id, s.room_id, s.id
    FROM timetable_slot s
    JOIN study_group g ON g.school_id = s.school_id AND g.id = s.group_id
    JOIN academic_year y ON y.school_id = s.school_id AND y.id = s.academic_year_id
    CROSS JOIN LATERAL generate_series(greatest($4, s.valid_from, y.starts_on),
                                       least(coalesce(s.valid_to, y.ends_on), y.ends_on),
                                       interval '1 day') AS d
    WHERE s.school_id = $1 AND ($2 IS NULL OR g.class_id = $2) AND ($3 IS NULL OR g.id = $3)
      AND extract(isodow FROM d) = s.weekday
      AND EXISTS (SELECT 1 FROM period_scheme ps
                  JOIN study_period p ON p.school_id = ps.school_id AND p.scheme_id = ps.id
                  WHERE ps.school_id = s.school_id AND ps.academic_year_id = y.id
                    AND s.grade BETWEEN ps.grade_from AND ps.grade_to
                    AND d::date BETWEEN p.starts_on AND p.ends_on)
      AND NOT EXISTS (SELECT 1 FROM holiday h
                      WHERE h.school_id = s.school_id AND h.academic_year_id = y.id
                        AND s.grade BETWEEN h.grade_from AND h.grade_to
                        AND d::date BETWEEN h.starts_on AND h.ends_on)
$$;

-- A future lesson was marked held as soon as a topic was typed for it ahead of time; it is held
-- only once marks or absences are recorded, or its record is written on or after its date. The
-- future lessons held without a mark or an absence row go back to «scheduled».
UPDATE lesson l SET status = 'scheduled'
FROM school sc
WHERE sc.id = l.school_id AND l.status = 'held'
  AND l.lesson_date > (now() AT TIME ZONE sc.time_zone)::date
  AND NOT EXISTS (SELECT 1 FROM mark_column c JOIN mark m ON m.school_id = c.school_id AND m.column_id = c.id
                  WHERE c.school_id = l.school_id AND c.lesson_id = l.id)
  AND NOT EXISTS (SELECT 1 FROM absence a WHERE a.school_id = l.school_id AND a.lesson_id = l.id);
