//! What a teacher's start page shows: today's lessons (own and substituted, J15) with what is
//! still unfilled (one query), and the journals where pupils lack marks (J11, `journal::accumulation`).

use chrono::{NaiveDate, NaiveTime};
use sqlx::PgPool;

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
/// rules on the same facts as the grid (`journal::accumulation`), whatever the number of journals.
pub async fn accumulation_alerts(
    pool: &PgPool,
    school: SchoolId,
    account_id: i64,
    today: NaiveDate,
) -> sqlx::Result<Vec<AccumulationAlert>> {
    let selection = super::accumulation::Selection {
        teacher_id: Some(account_id),
        ..Default::default()
    };
    Ok(
        super::accumulation::journals(pool, school, selection, today)
            .await?
            .into_iter()
            .filter_map(|j| {
                let pupils = j.pupils.iter().filter(|p| p.gap.is_some()).count();
                (pupils > 0).then(|| AccumulationAlert {
                    group_id: j.group_id,
                    title: j.title(),
                    pupils,
                })
            })
            .collect(),
    )
}
