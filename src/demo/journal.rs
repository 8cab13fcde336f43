//! The demo school's journal up to today (issue 4, §12): every lesson before today held with its
//! КТП topic and homework (some «Не задано»), absences with the class teacher's reasons, marks of
//! each pupil's level in lesson-answer columns and whole-class independent works, a few late
//! entries and substitutions, a few recent lessons left unfilled, period marks of the periods
//! already over, and one correction request waiting for a deputy. Bulk SQL (the year has ~30 000
//! lessons), deterministic: «random» choices are hashes of ids, and the rows those ids come from
//! are inserted in a fixed order (`ORDER BY`), so a plan that changes with the statistics cannot
//! change them.

use chrono::NaiveDate;
use serde_json::json;
use sqlx::PgPool;

use crate::audit::{self, Actor, Change};
use crate::tenancy::SchoolId;

/// Fills the journal of the school's lessons before `today`.
pub async fn fill(
    pool: &PgPool,
    school: SchoolId,
    today: NaiveDate,
) -> crate::error::AppResult<()> {
    let mut tx = pool.begin().await?;
    crate::diary::live::quiet(&mut tx).await?;
    // The fill runs as the application's role, whose ANALYZE of tables it does not own is
    // skipped: the planner then sees the pre-fill statistics of a near-empty school and nests
    // loops over tens of thousands of rows (minutes per statement). Every statement here is a
    // whole-school set operation, which hash joins do best.
    sqlx::query("SET LOCAL enable_nestloop = off")
        .execute(&mut *tx)
        .await?;
    // On Citus the ANALYZE below goes to every shard, which after this transaction has read the
    // reference table `account` must go over one connection per worker (on plain PostgreSQL an
    // unknown `citus.` setting is a harmless placeholder).
    sqlx::query("SET LOCAL citus.multi_shard_modify_mode = 'sequential'")
        .execute(&mut *tx)
        .await?;
    let s = school.0;
    // Lessons held: topic from the КТП, homework or «Не задано» (always in grade 1, which has no
    // homework); a few of the last three days are still unfilled (the teacher's start page shows
    // them). Homework minutes keep a class's day within the age limits as a rule (shorter below
    // grade 9); one homework in 25 has no minutes (the homework load counts them apart).
    let held = sqlx::query!(
        "UPDATE lesson l SET status = 'held',
                topic = coalesce(l.planned_topic, 'Повторение изученного'),
                homework_none = (coalesce(c.grade, 9) = 1 OR abs(hashtext(l.id::text)) % 7 = 0),
                homework = CASE WHEN coalesce(c.grade, 9) = 1 OR abs(hashtext(l.id::text)) % 7 = 0 THEN NULL
                                ELSE 'Учебник § ' || (1 + abs(hashtext(l.id::text || 'p')) % 40)
                                     || ', упр. ' || (1 + abs(hashtext(l.id::text || 'e')) % 300) END,
                homework_minutes = CASE WHEN coalesce(c.grade, 9) = 1 OR abs(hashtext(l.id::text)) % 7 = 0 THEN NULL
                                        WHEN abs(hashtext(l.id::text || 'nm')) % 25 = 0 THEN NULL
                                        WHEN coalesce(c.grade, 9) < 9
                                            THEN 10 + 5 * (abs(hashtext(l.id::text || 'm')) % 5)
                                        ELSE 15 + 5 * (abs(hashtext(l.id::text || 'm')) % 6) END,
                late_entry = (abs(hashtext(l.id::text || 'late')) % 40 = 0)
         FROM study_group g
         LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
         WHERE g.school_id = l.school_id AND g.id = l.group_id
           AND l.school_id = $1 AND l.lesson_date < $2 AND l.status = 'scheduled'
           AND NOT (l.lesson_date >= $2::date - 3 AND abs(hashtext(l.id::text || 'gap')) % 6 = 0)",
        s,
        today
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();

    // A few substitutions (J15): a teacher of the same subject, free at that hour.
    sqlx::query!(
        "INSERT INTO substitution (school_id, lesson_id, teacher_id, reason, registered_by, registered_at)
         SELECT l.school_id, l.id, alt.teacher_id, 'Основной учитель на больничном', dep.id,
                (l.lesson_date - 1 + time '15:00') AT TIME ZONE 'Europe/Moscow'
         FROM lesson l
         JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
         CROSS JOIN LATERAL (
             SELECT t.teacher_id FROM teaching_assignment t
             JOIN study_group g2 ON g2.school_id = t.school_id AND g2.id = t.group_id
             WHERE t.school_id = l.school_id AND g2.subject_id = g.subject_id AND t.teacher_id <> l.teacher_id
               AND NOT EXISTS (SELECT 1 FROM lesson l3 WHERE l3.school_id = l.school_id
                                 AND l3.lesson_date = l.lesson_date AND l3.lesson_number = l.lesson_number
                                 AND l3.teacher_id = t.teacher_id)
             ORDER BY t.teacher_id LIMIT 1) alt
         CROSS JOIN (SELECT a.id FROM account a WHERE a.login = 'deputy') dep
         WHERE l.school_id = $1 AND l.status = 'held' AND abs(hashtext(l.id::text || 'sub')) % 300 = 0
         ON CONFLICT DO NOTHING",
        s
    )
    .execute(&mut *tx)
    .await?;

    // A lesson-answer column at every held lesson of a graded subject (not grade 1), and a
    // whole-class independent work at one lesson in four.
    sqlx::query!(
        "INSERT INTO mark_column (school_id, lesson_id, position, work_type_id)
         SELECT l.school_id, l.id, 1, t.id
         FROM lesson l
         LEFT JOIN work_type t ON t.school_id = l.school_id AND t.name = 'Ответ на уроке'
         JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
         JOIN subject sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
         LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
         WHERE l.school_id = $1 AND l.status = 'held' AND sub.scale <> 'no_marks' AND coalesce(c.grade, 5) > 1
         ORDER BY l.id
         ON CONFLICT DO NOTHING",
        s
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO mark_column (school_id, lesson_id, position, work_type_id)
         SELECT c.school_id, c.lesson_id, 2, t.id
         FROM mark_column c
         LEFT JOIN work_type t ON t.school_id = c.school_id AND t.name = 'Самостоятельная работа'
         JOIN lesson l ON l.school_id = c.school_id AND l.id = c.lesson_id
         WHERE c.school_id = $1 AND c.position = 1 AND abs(hashtext(l.id::text || 'sr')) % 4 = 0
           AND l.lesson_date < $2::date - 3
         ORDER BY l.id
         ON CONFLICT DO NOTHING",
        s,
        today
    )
    .execute(&mut *tx)
    .await?;

    // Absences: a pupil is away for the whole day now and then (in the first 8th grade — the
    // class with poor attendance the attendance report shows — four times as often); the class
    // teacher has set the reasons of all but the last week.
    sqlx::query!(
        "INSERT INTO absence (school_id, lesson_id, pupil_id, absent, reason, late_entry, entered_by, entered_at)
         SELECT l.school_id, l.id, gp.pupil_id, true,
                CASE WHEN l.lesson_date >= $2::date - 7 THEN NULL
                     ELSE (ARRAY['ill', 'ill', 'excused', 'unexcused'])[1 + abs(hashtext(gp.pupil_id::text || l.lesson_date::text || 'r')) % 4] END,
                false, l.teacher_id,
                (l.lesson_date + time '13:00') AT TIME ZONE 'Europe/Moscow'
         FROM lesson l
         JOIN group_pupil gp ON gp.school_id = l.school_id AND gp.group_id = l.group_id
              AND gp.starts_on <= l.lesson_date AND (gp.ends_on IS NULL OR gp.ends_on >= l.lesson_date)
         JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
         WHERE l.school_id = $1 AND l.status = 'held'
           AND abs(hashtext(gp.pupil_id::text || l.lesson_date::text)) % 100
               < CASE WHEN g.class_id = (SELECT c.id FROM school_class c WHERE c.school_id = $1 AND c.grade = 8
                                         ORDER BY c.academic_year_id DESC, c.letter LIMIT 1)
                      THEN 16 ELSE 4 END
         ON CONFLICT DO NOTHING",
        s,
        today
    )
    .execute(&mut *tx)
    .await?;

    // A homework-overloaded day (the homework load report): in the first 5th grade, every
    // homework due on its last full day held before today (four subjects or more, whatever the
    // fill left unfilled) takes an hour — 4 to 6 hours against 2.
    sqlx::query!(
        "WITH class AS (
             SELECT c.id FROM school_class c WHERE c.school_id = $1 AND c.grade = 5
             ORDER BY c.academic_year_id DESC, c.letter LIMIT 1
         ), day AS (
             SELECT l.group_id, l.lesson_date, l.lesson_number
             FROM lesson l JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
             WHERE l.school_id = $1 AND g.class_id = (SELECT id FROM class) AND l.status = 'held'
               AND l.lesson_date = (SELECT l2.lesson_date FROM lesson l2
                                    JOIN study_group g2 ON g2.school_id = l2.school_id AND g2.id = l2.group_id
                                    WHERE l2.school_id = $1 AND g2.class_id = (SELECT id FROM class)
                                      AND l2.status = 'held' AND l2.lesson_date < $2
                                    GROUP BY l2.lesson_date HAVING count(DISTINCT l2.group_id) >= 4
                                    ORDER BY l2.lesson_date DESC LIMIT 1)
         ), previous AS (
             SELECT DISTINCT ON (d.group_id) p.id
             FROM day d
             JOIN lesson p ON p.school_id = $1 AND p.group_id = d.group_id
              AND (p.lesson_date, p.lesson_number) < (d.lesson_date, d.lesson_number)
              AND p.status NOT IN ('moved', 'cancelled')
             ORDER BY d.group_id, d.lesson_date, d.lesson_number, p.lesson_date DESC, p.lesson_number DESC
         )
         UPDATE lesson l SET homework_minutes = 60, homework_none = false,
                homework = coalesce(l.homework, 'Учебник § 12, упр. 1–20, конспект параграфа')
         FROM previous WHERE l.school_id = $1 AND l.id = previous.id",
        s,
        today
    )
    .execute(&mut *tx)
    .await?;

    // Fresh statistics after bulk writes when the owner fills (the application's role is skipped).
    sqlx::query(
        "ANALYZE lesson, mark_column, absence, substitution, group_member, class_enrollment",
    )
    .execute(&mut *tx)
    .await?;

    // Marks: more than half of the present pupils answer at a lesson (teachers keep up the
    // accumulation, so a period mark «Н/А» is the exception, as in a school), everybody writes
    // an independent work; each pupil has a level, so averages differ.
    let marks = sqlx::query!(
        "INSERT INTO mark (school_id, group_id, pupil_id, column_id, work_type_id, value, given_on, late_entry, entered_by, entered_at)
         SELECT c.school_id, l.group_id, gp.pupil_id, c.id, c.work_type_id,
                CASE WHEN sub.scale = 'pass_fail' THEN
                          CASE WHEN v.r = 0 THEN 'fail' ELSE 'pass' END
                     ELSE (ARRAY[
                          ARRAY['2','2','3','3','3','3','3','4','4','4'],
                          ARRAY['2','3','3','3','4','4','4','4','5','5'],
                          ARRAY['3','3','4','4','4','4','5','5','5','5'],
                          ARRAY['3','4','4','4','5','5','5','5','5','5']])[1 + v.level][1 + v.r] END,
                l.lesson_date, (abs(hashtext(c.id::text || gp.pupil_id::text || 'l')) % 30 = 0),
                coalesce(sb.teacher_id, l.teacher_id),
                (l.lesson_date + time '14:00') AT TIME ZONE 'Europe/Moscow'
         FROM mark_column c
         JOIN lesson l ON l.school_id = c.school_id AND l.id = c.lesson_id
         JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
         JOIN subject sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
         LEFT JOIN substitution sb ON sb.school_id = l.school_id AND sb.lesson_id = l.id
         JOIN group_pupil gp ON gp.school_id = l.school_id AND gp.group_id = l.group_id
              AND gp.starts_on <= l.lesson_date AND (gp.ends_on IS NULL OR gp.ends_on >= l.lesson_date)
         CROSS JOIN LATERAL (SELECT abs(hashtext(gp.pupil_id::text || 'level')) % 4 AS level,
                                    abs(hashtext(c.id::text || gp.pupil_id::text || 'v')) % 10 AS r) v
         WHERE c.school_id = $1
           AND (c.position = 2 OR abs(hashtext(c.id::text || gp.pupil_id::text)) % 100 < 55)
           AND NOT EXISTS (SELECT 1 FROM absence a WHERE a.school_id = l.school_id AND a.lesson_id = l.id
                             AND a.pupil_id = gp.pupil_id AND a.absent)
         ON CONFLICT DO NOTHING",
        s
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();

    sqlx::query("ANALYZE mark").execute(&mut *tx).await?;

    // Period marks of the periods over (and their grace days gone): the suggestion, as the
    // teacher confirmed it — Н/А where marks were too few (J11, J12).
    let period_marks = sqlx::query!(
        "INSERT INTO period_mark (school_id, group_id, period_id, pupil_id, value, set_by, set_at)
         SELECT g.school_id, g.id, p.id, gp.pupil_id,
                CASE WHEN count(m.id) < CASE WHEN max(t.hours_per_week) <= 1 THEN 3 ELSE 5 END THEN 'na'
                     WHEN bool_or(m.value IN ('pass', 'fail')) THEN
                          CASE WHEN count(*) FILTER (WHERE m.value = 'pass') * 2 >= count(m.id) THEN 'pass' ELSE 'fail' END
                     ELSE least(5, greatest(2, floor(sum(m.value::numeric * w.weight) / sum(w.weight) + 0.5)))::int::text END,
                max(t.teacher_id), (p.ends_on + 1 + time '15:00') AT TIME ZONE 'Europe/Moscow'
         FROM study_group g
         JOIN subject sub ON sub.school_id = g.school_id AND sub.id = g.subject_id
         LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
         JOIN teaching_assignment t ON t.school_id = g.school_id AND t.group_id = g.id
         JOIN period_scheme ps ON ps.school_id = g.school_id AND ps.academic_year_id = g.academic_year_id
              AND coalesce(c.grade, 5) BETWEEN ps.grade_from AND ps.grade_to
         JOIN study_period p ON p.school_id = ps.school_id AND p.scheme_id = ps.id AND p.ends_on + 2 < $2::date
         JOIN group_pupil gp ON gp.school_id = g.school_id AND gp.group_id = g.id
              AND gp.starts_on <= p.ends_on AND (gp.ends_on IS NULL OR gp.ends_on >= p.ends_on)
         LEFT JOIN mark m ON m.school_id = g.school_id AND m.group_id = g.id AND m.pupil_id = gp.pupil_id
              AND m.value IS NOT NULL AND m.given_on BETWEEN p.starts_on AND p.ends_on
         LEFT JOIN work_type w ON w.school_id = m.school_id AND w.id = m.work_type_id
         WHERE g.school_id = $1 AND sub.scale <> 'no_marks' AND coalesce(c.grade, 5) > 1
         GROUP BY g.school_id, g.id, p.id, p.ends_on, gp.pupil_id
         ON CONFLICT DO NOTHING",
        s,
        today
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();

    // One correction request waiting for a deputy: the demo teacher asks to raise a «3».
    sqlx::query!(
        "INSERT INTO correction_request (school_id, group_id, period_id, pupil_id, value_before, value_after,
                                         explanation, requested_by, requested_at)
         SELECT pm.school_id, pm.group_id, pm.period_id, pm.pupil_id, pm.value, '4',
                'При выставлении итоговой отметки не учтена самостоятельная работа, написанная после болезни (отметка 5). Прошу исправить 3 на 4.',
                pm.set_by, now()
         FROM period_mark pm JOIN account a ON a.id = pm.set_by
         WHERE pm.school_id = $1 AND pm.value = '3'
         ORDER BY (a.login = 'teacher') DESC, pm.group_id, pm.pupil_id
         LIMIT 1",
        s
    )
    .execute(&mut *tx)
    .await?;

    // The deputy's remarks on the demo teacher's journals (one overdue, one due soon, one fixed)
    // and an unlock of a locked lesson until tomorrow evening (§5, J1).
    sqlx::query!(
        "INSERT INTO journal_remark (school_id, group_id, text, due_on, author_id, created_at, fixed_at, fixed_by, fix_note)
         SELECT t.school_id, t.group_id, r.text, $2::date + r.due, dep.id,
                ($2::date + r.due - 7 + time '11:00') AT TIME ZONE 'Europe/Moscow',
                CASE WHEN r.fixed THEN ($2::date - 1 + time '16:00') AT TIME ZONE 'Europe/Moscow' END,
                CASE WHEN r.fixed THEN t.teacher_id END,
                CASE WHEN r.fixed THEN 'Темы внесены по КТП' END
         FROM (SELECT t.school_id, t.group_id, t.teacher_id, row_number() OVER (ORDER BY t.group_id) AS n
               FROM teaching_assignment t JOIN account a ON a.id = t.teacher_id
               WHERE t.school_id = $1 AND a.login = 'teacher') t
         JOIN (VALUES (1::bigint, 'Не записано домашнее задание к урокам прошлой недели', -2, false),
                      (2::bigint, 'У шести обучающихся нет ни одной отметки за три недели (накопляемость)', 3, false),
                      (3::bigint, 'Не записаны темы уроков за 9 и 11 ноября', -5, true)) AS r(n, text, due, fixed)
              ON r.n = t.n
         CROSS JOIN (SELECT id FROM account WHERE login = 'deputy') dep",
        s,
        today
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO journal_unlock (school_id, group_id, lesson_id, until, reason, granted_by, granted_at)
         SELECT l.school_id, l.group_id, l.id, ($2::date + 2)::timestamp AT TIME ZONE 'Europe/Moscow',
                'Учитель был на курсах повышения квалификации', dep.id, now()
         FROM lesson l JOIN account a ON a.id = l.teacher_id
         CROSS JOIN (SELECT id FROM account WHERE login = 'deputy') dep
         WHERE l.school_id = $1 AND a.login = 'teacher' AND l.lesson_date < $2::date - 10
         ORDER BY l.lesson_date DESC LIMIT 1",
        s,
        today
    )
    .execute(&mut *tx)
    .await?;

    audit::record(
        &mut tx,
        school,
        &Actor::system(),
        Change {
            action: "demo.journal_filled",
            subject_type: "school",
            subject_id: Some(s),
            before: None,
            after: Some(json!({"lessons_held": held, "marks": marks, "period_marks": period_marks, "until": today})),
            reason: Some("Демонстрационные данные"),
            group_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
