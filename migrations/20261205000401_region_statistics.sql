-- A region on one database (issue 17, item 1): with 100 schools the planner multiplied the
-- selectivity of `school_id = $1` by that of the school's own ids (`pupil_id = ANY(…)`,
-- `academic_year_id = $n`, `group_id = …`) as if they were independent, while every such id
-- belongs to one school only. It expected 1/100 of the rows it got (142 absences for 7 886, 4
-- groups for 385), nested loops over the `group_pupil` view per row, and the missed-topics
-- report's absence statement went from ~80 ms to 11–19 s. Functional-dependency statistics on
-- (school_id, id column) tell it that the id decides the school: the same statement is 81 ms
-- with 100 schools (docs/TESTING.md, «Region scale»). Harmless for one school.
CREATE STATISTICS IF NOT EXISTS absence_school_deps (dependencies)
    ON school_id, pupil_id, lesson_id FROM absence;
CREATE STATISTICS IF NOT EXISTS mark_school_deps (dependencies)
    ON school_id, pupil_id, group_id, column_id FROM mark;
CREATE STATISTICS IF NOT EXISTS mark_column_school_deps (dependencies)
    ON school_id, lesson_id FROM mark_column;
CREATE STATISTICS IF NOT EXISTS lesson_school_deps (dependencies)
    ON school_id, group_id, teacher_id FROM lesson;
CREATE STATISTICS IF NOT EXISTS class_enrollment_school_deps (dependencies)
    ON school_id, pupil_id, class_id FROM class_enrollment;
CREATE STATISTICS IF NOT EXISTS group_member_school_deps (dependencies)
    ON school_id, pupil_id, group_id FROM group_member;
CREATE STATISTICS IF NOT EXISTS study_group_school_deps (dependencies)
    ON school_id, academic_year_id, class_id, subject_id FROM study_group;
CREATE STATISTICS IF NOT EXISTS school_class_school_deps (dependencies)
    ON school_id, academic_year_id FROM school_class;
CREATE STATISTICS IF NOT EXISTS teaching_assignment_school_deps (dependencies)
    ON school_id, group_id, teacher_id FROM teaching_assignment;
CREATE STATISTICS IF NOT EXISTS period_mark_school_deps (dependencies)
    ON school_id, group_id, pupil_id, period_id FROM period_mark;
CREATE STATISTICS IF NOT EXISTS timetable_slot_school_deps (dependencies)
    ON school_id, academic_year_id, group_id, teacher_id FROM timetable_slot;
CREATE STATISTICS IF NOT EXISTS pupil_parent_school_deps (dependencies)
    ON school_id, pupil_id, parent_id FROM pupil_parent;
CREATE STATISTICS IF NOT EXISTS audit_event_school_deps (dependencies)
    ON school_id, pupil_id, group_id FROM audit_event;

ANALYZE absence, mark, mark_column, lesson, class_enrollment, group_member, study_group,
    school_class, teaching_assignment, period_mark, timetable_slot, pupil_parent, audit_event;
