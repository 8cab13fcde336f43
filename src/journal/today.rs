//! What a teacher's start page shows: today's lessons (own and substituted, J15) with what is
//! still unfilled, and the journals where pupils lack marks (J11). Two queries.

use chrono::{NaiveDate, NaiveTime};
use sqlx::PgPool;

use crate::rules::journal::AccumulationRule;
use crate::tenancy::SchoolId;

/// A lesson of the teacher today.
#[derive(Debug, Clone)]
pub struct TodayLesson {
    pub lesson_id: i64,
    pub group_id: i64,
    pub lesson_number: i16,
    pub starts_at: Option<NaiveTime>,
    pub class_name: String,
    pub subject: String,
    pub group_name: String,
    pub topic_set: bool,
    pub homework_set: bool,
    /// Anything recorded at it (attendance, marks, topic).
    pub held: bool,
    /// The teacher substitutes at this lesson (J15).
    pub substitute: bool,
}

impl TodayLesson {
    /// «тема, посещаемость, домашнее задание» — what is still missing.
    pub fn missing(&self) -> String {
        let mut parts = Vec::new();
        if !self.topic_set {
            parts.push("тема");
        }
        if !self.held {
            parts.push("посещаемость и отметки");
        }
        if !self.homework_set {
            parts.push("домашнее задание");
        }
        parts.join(", ")
    }
}

/// The teacher's lessons on `day`: their own (unless someone substitutes) and the ones they
/// substitute at.
pub async fn lessons(
    pool: &PgPool,
    school: SchoolId,
    account_id: i64,
    day: NaiveDate,
) -> sqlx::Result<Vec<TodayLesson>> {
    sqlx::query_as!(
        TodayLesson,
        r#"SELECT l.id AS lesson_id, l.group_id, l.lesson_number, b.starts_at AS "starts_at?",
                  coalesce(c.grade || '«' || c.letter || '»', '') AS "class_name!",
                  s.name AS subject, g.name AS group_name,
                  l.topic IS NOT NULL AS "topic_set!",
                  (l.homework IS NOT NULL OR l.homework_none) AS "homework_set!",
                  l.status = 'held' AS "held!",
                  coalesce(sub.teacher_id = $3, false) AS "substitute!"
           FROM lesson l
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           LEFT JOIN timetable_slot ts ON ts.school_id = l.school_id AND ts.id = l.slot_id
           LEFT JOIN bell b ON b.school_id = l.school_id AND b.academic_year_id = g.academic_year_id
                           AND b.shift = coalesce(c.shift, ts.shift, 1) AND b.lesson_number = l.lesson_number
           LEFT JOIN substitution sub ON sub.school_id = l.school_id AND sub.lesson_id = l.id
           WHERE l.school_id = $1 AND l.lesson_date = $2 AND l.status NOT IN ('moved', 'cancelled')
             AND ((l.teacher_id = $3 AND sub.teacher_id IS NULL) OR sub.teacher_id = $3)
           ORDER BY l.lesson_number"#,
        school.0,
        day,
        account_id
    )
    .fetch_all(pool)
    .await
}

/// A journal of the teacher where pupils lack the marks J11 requires by now.
#[derive(Debug, Clone)]
pub struct AccumulationAlert {
    pub group_id: i64,
    pub title: String,
    pub pupils: usize,
}

/// The teacher's journals with pupils short of marks in the current period (J11: the count
/// rule; the journal itself shows the runs without marks too).
pub async fn accumulation_alerts(
    pool: &PgPool,
    school: SchoolId,
    account_id: i64,
    today: NaiveDate,
) -> sqlx::Result<Vec<AccumulationAlert>> {
    let rows = sqlx::query!(
        r#"WITH mine AS (
               SELECT g.id AS group_id, g.name, s.name AS subject,
                      coalesce(c.grade || '«' || c.letter || '» ', '') AS class_name,
                      p.starts_on, (t.hours_per_week * 10)::integer AS hours
               FROM teaching_assignment t
               JOIN study_group g ON g.school_id = t.school_id AND g.id = t.group_id
               JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
               LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
               JOIN period_scheme ps ON ps.school_id = g.school_id AND ps.academic_year_id = g.academic_year_id
                    AND coalesce(c.grade, 5) BETWEEN ps.grade_from AND ps.grade_to
               JOIN study_period p ON p.school_id = ps.school_id AND p.scheme_id = ps.id
                    AND $3 BETWEEN p.starts_on AND p.ends_on
               WHERE t.school_id = $1 AND t.teacher_id = $2 AND coalesce(s.scale, '') <> 'no_marks'
                 AND coalesce(c.grade, 5) > 1
           )
           SELECT mine.group_id AS "group_id!", mine.name AS "name!", mine.subject AS "subject!",
                  mine.class_name AS "class_name!", mine.starts_on AS "starts_on!", mine.hours AS "hours!",
                  (SELECT count(*) FROM mark m
                   WHERE m.school_id = $1 AND m.group_id = mine.group_id AND m.pupil_id = gp.pupil_id
                     AND m.value IS NOT NULL AND m.given_on BETWEEN mine.starts_on AND $3) AS "marks!",
                  (SELECT count(*) FROM lesson l
                   WHERE l.school_id = $1 AND l.group_id = mine.group_id
                     AND l.lesson_date BETWEEN mine.starts_on AND $3 AND l.status NOT IN ('moved', 'cancelled')
                     AND NOT EXISTS (SELECT 1 FROM absence a WHERE a.school_id = $1 AND a.lesson_id = l.id
                                       AND a.pupil_id = gp.pupil_id AND a.absent)) AS "attended!"
           FROM mine
           JOIN group_pupil gp ON gp.school_id = $1 AND gp.group_id = mine.group_id
                AND gp.starts_on <= $3 AND (gp.ends_on IS NULL OR gp.ends_on >= $3)
           ORDER BY mine.class_name, mine.subject, mine.group_id"#,
        school.0,
        account_id,
        today
    )
    .fetch_all(pool)
    .await?;
    let settings = sqlx::query!(
        "SELECT accumulation_min_marks_one_hour, accumulation_min_marks_more_hours,
                accumulation_grace_weeks, accumulation_grace_weeks_one_hour
         FROM school WHERE id = $1",
        school.0
    )
    .fetch_one(pool)
    .await?;
    let rule = AccumulationRule {
        min_marks_one_hour: i64::from(settings.accumulation_min_marks_one_hour),
        min_marks_more_hours: i64::from(settings.accumulation_min_marks_more_hours),
        grace_weeks: i64::from(settings.accumulation_grace_weeks),
        grace_weeks_one_hour: i64::from(settings.accumulation_grace_weeks_one_hour),
    };
    let mut alerts: Vec<AccumulationAlert> = Vec::new();
    for r in rows {
        let hours = i64::from((r.hours + 9) / 10).max(1);
        let weeks = (today - r.starts_on).num_days() / 7;
        let required = rule.required_by(hours, weeks).min(r.attended);
        if r.marks >= required {
            continue;
        }
        match alerts.last_mut() {
            Some(a) if a.group_id == r.group_id => a.pupils += 1,
            _ => alerts.push(AccumulationAlert {
                group_id: r.group_id,
                title: format!("{}{} ({})", r.class_name, r.subject, r.name),
                pupils: 1,
            }),
        }
    }
    Ok(alerts)
}
