//! Blank journal pages for a day's lessons, printed in advance for a break in the system's work
//! (001 §6, `journal::outage`): per lesson the class, subject, time and teacher, the pupils of the
//! group that day with boxes for attendance and marks, and lines for the topic and homework —
//! what the teacher enters afterwards from paper. Two queries for any number of lessons.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};
use sqlx::PgPool;

use crate::authz::{Access, Role};
use crate::tenancy::SchoolId;

/// The most lessons one printout holds (a whole school's day is a few hundred).
pub const MOST_LESSONS: i64 = 400;

/// Whose blank pages a member prints: a deputy or the director any teacher's or the whole
/// school's (`asked`); a teacher or class teacher (`account`) their own lessons, substitutions
/// included; others none.
pub fn whose(access: &Access, account: i64, asked: Option<i64>) -> Option<Option<i64>> {
    match access.role {
        Role::Deputy | Role::Director => Some(asked),
        Role::Teacher | Role::ClassTeacher => Some(Some(account)),
        _ => None,
    }
}

/// A lesson's blank page.
#[derive(Clone, Debug)]
pub struct PaperLesson {
    pub id: i64,
    pub number: i16,
    pub starts_at: Option<NaiveTime>,
    pub ends_at: Option<NaiveTime>,
    /// «5«Б»», empty for a group without a class.
    pub class_name: String,
    pub subject: String,
    pub group_name: String,
    /// The substitute, if one is registered; else the lesson's teacher.
    pub teacher: String,
    pub room: Option<String>,
    pub pupils: Vec<String>,
}

impl PaperLesson {
    /// «2-й урок, 09:00–09:45».
    pub fn when(&self) -> String {
        match (self.starts_at, self.ends_at) {
            (Some(s), Some(e)) => format!(
                "{}-й урок, {}–{}",
                self.number,
                s.format("%H:%M"),
                e.format("%H:%M")
            ),
            _ => format!("{}-й урок", self.number),
        }
    }
}

/// The lessons of `date` that take place (not cancelled, not moved away), of `teacher` (as the
/// teacher or the substitute) or of the whole school, by lesson number and class, each with the
/// pupils of its group on that day; at most `MOST_LESSONS`.
pub async fn day(
    pool: &PgPool,
    school: SchoolId,
    date: NaiveDate,
    teacher: Option<i64>,
) -> sqlx::Result<Vec<PaperLesson>> {
    let lessons = sqlx::query!(
        r#"SELECT l.id, l.group_id, l.lesson_number, b.starts_at AS "starts_at?", b.ends_at AS "ends_at?",
                  coalesce(c.grade || '«' || c.letter || '»', '') AS "class_name!",
                  s.name AS subject, g.name AS group_name, r.name AS "room?",
                  coalesce(sa.last_name || ' ' || sa.first_name || ' ' || sa.middle_name,
                           a.last_name || ' ' || a.first_name || ' ' || a.middle_name) AS "teacher!"
           FROM lesson l
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           JOIN account a ON a.id = l.teacher_id
           LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           LEFT JOIN timetable_slot ts ON ts.school_id = l.school_id AND ts.id = l.slot_id
           LEFT JOIN bell b ON b.school_id = l.school_id AND b.academic_year_id = g.academic_year_id
                           AND b.shift = coalesce(c.shift, ts.shift, 1)
                           AND b.lesson_number = l.lesson_number
           LEFT JOIN room r ON r.school_id = l.school_id AND r.id = l.room_id
           LEFT JOIN substitution su ON su.school_id = l.school_id AND su.lesson_id = l.id
           LEFT JOIN account sa ON sa.id = su.teacher_id
           WHERE l.school_id = $1 AND l.lesson_date = $2 AND l.status NOT IN ('cancelled', 'moved')
             AND ($3::bigint IS NULL OR coalesce(su.teacher_id, l.teacher_id) = $3)
           ORDER BY l.lesson_number, c.grade NULLS LAST, c.letter, s.name COLLATE "ru", g.name COLLATE "ru"
           LIMIT $4"#,
        school.0,
        date,
        teacher,
        MOST_LESSONS
    )
    .fetch_all(pool)
    .await?;
    let groups: Vec<i64> = lessons.iter().map(|l| l.group_id).collect();
    let pupils = sqlx::query!(
        r#"SELECT gp.group_id AS "group_id!",
                  min(p.last_name || ' ' || p.first_name) AS "name!"
           FROM group_pupil gp
           JOIN pupil p ON p.school_id = gp.school_id AND p.id = gp.pupil_id
           WHERE gp.school_id = $1 AND gp.group_id = ANY($2)
             AND gp.starts_on <= $3 AND (gp.ends_on IS NULL OR gp.ends_on >= $3)
           GROUP BY gp.group_id, gp.pupil_id
           ORDER BY 1, 2"#,
        school.0,
        &groups,
        date
    )
    .fetch_all(pool)
    .await?;
    let mut of_group: HashMap<i64, Vec<String>> = HashMap::new();
    for p in pupils {
        of_group.entry(p.group_id).or_default().push(p.name);
    }
    Ok(lessons
        .into_iter()
        .map(|l| PaperLesson {
            id: l.id,
            number: l.lesson_number,
            starts_at: l.starts_at,
            ends_at: l.ends_at,
            class_name: l.class_name,
            subject: l.subject,
            group_name: l.group_name,
            teacher: l.teacher,
            room: l.room,
            pupils: of_group.get(&l.group_id).cloned().unwrap_or_default(),
        })
        .collect())
}
