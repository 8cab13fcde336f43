//! What a teacher's start page shows: today's lessons (own and substituted, J15) with what is
//! still unfilled (one query), and the journals where pupils lack marks (J11, seven queries).

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveTime};
use sqlx::PgPool;

use crate::rules::calendar::Span;
use crate::rules::journal::{self as rules, AccumulationRule, Attended};
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

/// The teacher's journals with pupils the journal page flags in the current period (J11: too
/// few marks by now, or two attended lessons in a row without a mark) — decided by the same
/// rules (`rules::journal::after_holidays`, `accumulation_gap`) on the same facts as the grid, in
/// seven queries whatever the number of journals.
pub async fn accumulation_alerts(
    pool: &PgPool,
    school: SchoolId,
    account_id: i64,
    today: NaiveDate,
) -> sqlx::Result<Vec<AccumulationAlert>> {
    let mut conn = pool.acquire().await?;
    let groups = sqlx::query!(
        r#"SELECT g.id AS group_id, g.name, s.name AS subject, g.academic_year_id,
                  coalesce(c.grade || '«' || c.letter || '» ', '') AS "class_name!",
                  coalesce(c.grade, 5)::smallint AS "grade!",
                  p.starts_on, p.ends_on, (t.hours_per_week * 10)::integer AS "hours!"
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
           ORDER BY 5, s.name, g.id"#,
        school.0,
        account_id,
        today
    )
    .fetch_all(&mut *conn)
    .await?;
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = groups.iter().map(|g| g.group_id).collect();
    let earliest = groups.iter().map(|g| g.starts_on).min().unwrap_or(today);
    let lessons = sqlx::query!(
        "SELECT id, group_id, lesson_date FROM lesson
         WHERE school_id = $1 AND group_id = ANY($2) AND lesson_date BETWEEN $3 AND $4
           AND status NOT IN ('moved', 'cancelled')
         ORDER BY group_id, lesson_date, lesson_number",
        school.0,
        &ids,
        earliest,
        today
    )
    .fetch_all(&mut *conn)
    .await?;
    let pupils = sqlx::query!(
        r#"SELECT gp.group_id AS "group_id!", gp.pupil_id AS "pupil_id!", min(gp.starts_on) AS "starts_on!",
                  max(coalesce(gp.ends_on, '9999-12-31'::date)) AS "ends_on!"
           FROM group_pupil gp
           WHERE gp.school_id = $1 AND gp.group_id = ANY($2)
             AND gp.starts_on <= $3 AND (gp.ends_on IS NULL OR gp.ends_on >= $3)
           GROUP BY gp.group_id, gp.pupil_id"#,
        school.0,
        &ids,
        today
    )
    .fetch_all(&mut *conn)
    .await?;
    let marks = sqlx::query!(
        r#"SELECT m.group_id, m.pupil_id, m.given_on, c.lesson_id AS "lesson_id?"
           FROM mark m LEFT JOIN mark_column c ON c.school_id = m.school_id AND c.id = m.column_id
           WHERE m.school_id = $1 AND m.group_id = ANY($2) AND m.value IS NOT NULL
             AND m.given_on BETWEEN $3 AND $4"#,
        school.0,
        &ids,
        earliest,
        today
    )
    .fetch_all(&mut *conn)
    .await?;
    let absences = sqlx::query!(
        "SELECT a.lesson_id, a.pupil_id
         FROM absence a JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id
         WHERE a.school_id = $1 AND l.group_id = ANY($2) AND l.lesson_date BETWEEN $3 AND $4
           AND a.absent",
        school.0,
        &ids,
        earliest,
        today
    )
    .fetch_all(&mut *conn)
    .await?;
    let holidays = sqlx::query!(
        "SELECT academic_year_id, grade_from, grade_to, starts_on, ends_on FROM holiday
         WHERE school_id = $1 AND kind <> 'public' AND ends_on >= $2 AND starts_on <= $3",
        school.0,
        earliest,
        today
    )
    .fetch_all(&mut *conn)
    .await?;
    let settings = sqlx::query!(
        "SELECT accumulation_min_marks_one_hour, accumulation_min_marks_more_hours,
                accumulation_grace_weeks, accumulation_grace_weeks_one_hour
         FROM school WHERE id = $1",
        school.0
    )
    .fetch_one(&mut *conn)
    .await?;
    let rule = AccumulationRule {
        min_marks_one_hour: i64::from(settings.accumulation_min_marks_one_hour),
        min_marks_more_hours: i64::from(settings.accumulation_min_marks_more_hours),
        grace_weeks: i64::from(settings.accumulation_grace_weeks),
        grace_weeks_one_hour: i64::from(settings.accumulation_grace_weeks_one_hour),
    };

    let absent: HashSet<(i64, i64)> = absences.iter().map(|a| (a.lesson_id, a.pupil_id)).collect();
    let mut alerts: Vec<AccumulationAlert> = Vec::new();
    for g in &groups {
        let period = Span::new(g.starts_on, g.ends_on);
        let own: Vec<(i64, NaiveDate)> = lessons
            .iter()
            .filter(|l| l.group_id == g.group_id && period.contains(l.lesson_date))
            .map(|l| (l.id, l.lesson_date))
            .collect();
        let breaks: Vec<Span> = holidays
            .iter()
            .filter(|h| {
                h.academic_year_id == g.academic_year_id
                    && (h.grade_from..=h.grade_to).contains(&g.grade)
            })
            .map(|h| Span::new(h.starts_on, h.ends_on))
            .collect();
        let dates: Vec<NaiveDate> = own.iter().map(|(_, d)| *d).collect();
        let after = rules::after_holidays(&dates, &breaks);
        let hours = i64::from((g.hours + 9) / 10).max(1);
        let weeks = rules::weeks_into(period, today);
        let group_marks: Vec<_> = marks
            .iter()
            .filter(|m| m.group_id == g.group_id && period.contains(m.given_on))
            .collect();
        let mut short = 0;
        for p in pupils.iter().filter(|p| p.group_id == g.group_id) {
            let marked: HashSet<i64> = group_marks
                .iter()
                .filter(|m| m.pupil_id == p.pupil_id)
                .filter_map(|m| m.lesson_id)
                .collect();
            let count = group_marks
                .iter()
                .filter(|m| m.pupil_id == p.pupil_id)
                .count() as i64;
            let lived: Vec<Attended> = own
                .iter()
                .zip(&after)
                .filter(|((_, date), _)| *date >= p.starts_on && *date <= p.ends_on)
                .map(|((id, _), &after_holidays)| Attended {
                    present: !absent.contains(&(*id, p.pupil_id)),
                    marked: marked.contains(id),
                    after_holidays,
                })
                .collect();
            if rules::accumulation_gap(&rule, hours, weeks, &lived, count).is_some() {
                short += 1;
            }
        }
        if short > 0 {
            alerts.push(AccumulationAlert {
                group_id: g.group_id,
                title: format!("{}{} ({})", g.class_name, g.subject, g.name),
                pupils: short,
            });
        }
    }
    Ok(alerts)
}
