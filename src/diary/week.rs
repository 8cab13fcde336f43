//! A week of a pupil's diary: each day's lessons with time, subject, teacher (the substitute when
//! there is one, J15), room, topic, the homework due at the lesson (set at the group's lesson
//! before) and the homework set at it with the day it is due, marks with work types and weights,
//! the teacher's comment, absences; moved and cancelled lessons marked; holidays and control
//! works of the day. Four queries, whatever the week holds — for one
//! pupil or a whole class.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveTime};
use sqlx::PgConnection;

use super::{DiaryPupil, day_heading, show_mark};
use crate::error::AppResult;
use crate::journal::AbsenceReason;
use crate::journal::grid::hhmm;
use crate::tenancy::SchoolId;

/// A mark in the diary.
#[derive(Clone, Debug)]
pub struct DiaryMark {
    pub value: String,
    pub work_type: String,
    pub work_short: String,
    /// J16: the document a mark from another institution came with.
    pub document: Option<String>,
    pub subject: String,
    /// The work type's weight, in tenths.
    pub weight_tenths: i64,
}

impl DiaryMark {
    /// «вес 2».
    pub fn weight_text(&self) -> String {
        super::weight_text(self.weight_tenths)
    }

    pub fn shown(&self) -> &'static str {
        show_mark(&self.value)
    }

    /// «2», «3»: shown in a warning colour.
    pub fn low(&self) -> bool {
        matches!(self.value.as_str(), "2" | "fail")
    }
}

/// A lesson of the pupil's week.
#[derive(Clone, Debug)]
pub struct DiaryLesson {
    pub lesson_id: i64,
    pub group_id: i64,
    pub date: NaiveDate,
    pub number: i16,
    pub starts_at: Option<NaiveTime>,
    pub ends_at: Option<NaiveTime>,
    pub subject: String,
    /// The group's name when it is not the whole class («Английский язык, 1 подгруппа»).
    pub group_name: Option<String>,
    pub teacher: String,
    pub substitute: bool,
    pub room: Option<String>,
    pub status: String,
    pub topic: Option<String>,
    /// The homework set at this lesson.
    pub homework: Option<String>,
    /// The date of the group's next lesson: when the homework is due.
    pub homework_due: Option<NaiveDate>,
    /// The homework due at this lesson (set at the group's lesson before): the diary shows
    /// homework under the day it is due, as paper diaries do.
    pub due: Option<DueHomework>,
    pub comment: Option<String>,
    pub change_reason: Option<String>,
    /// A lesson moved here from that date.
    pub moved_from: Option<NaiveDate>,
    /// A moved lesson: where it went.
    pub moved_to: Option<NaiveDate>,
    pub marks: Vec<DiaryMark>,
    pub absence: Option<Option<AbsenceReason>>,
}

/// Homework due at a lesson: set at the group's lesson before it (not moved, not cancelled).
#[derive(Clone, Debug)]
pub struct DueHomework {
    /// None: «Не задано».
    pub homework: Option<String>,
    pub minutes: Option<i16>,
    /// The day it was set.
    pub set_on: NaiveDate,
}

impl DiaryLesson {
    pub fn time(&self) -> String {
        match (self.starts_at, self.ends_at) {
            (Some(_), Some(_)) => format!("{}–{}", hhmm(self.starts_at), hhmm(self.ends_at)),
            _ => String::new(),
        }
    }

    pub fn cancelled(&self) -> bool {
        self.status == "cancelled"
    }

    pub fn moved(&self) -> bool {
        self.status == "moved"
    }

    /// «н», «н (УП)» for an absence.
    pub fn absence_text(&self) -> String {
        match self.absence {
            None => String::new(),
            Some(None) => "н".into(),
            Some(Some(reason)) => format!("н ({})", reason.short()),
        }
    }

    pub fn due_text(&self) -> String {
        self.homework_due
            .map(|d| format!("к {}", d.format("%d.%m")))
            .unwrap_or_default()
    }

    pub fn date_text(d: &Option<NaiveDate>) -> String {
        d.map(|d| d.format("%d.%m.%Y").to_string())
            .unwrap_or_default()
    }
}

/// A day of the week.
#[derive(Clone, Debug)]
pub struct DiaryDay {
    pub date: NaiveDate,
    pub heading: String,
    pub today: bool,
    pub holiday: Option<String>,
    pub lessons: Vec<DiaryLesson>,
    /// J16: marks from another institution dated this day.
    pub external: Vec<DiaryMark>,
    /// Control works scheduled this day (§2 ВШК): «Математика: контрольная работа».
    pub control_works: Vec<String>,
}

/// The week starting `monday`.
#[derive(Clone, Debug)]
pub struct DiaryWeek {
    pub monday: NaiveDate,
    pub days: Vec<DiaryDay>,
}

impl DiaryWeek {
    pub fn title(&self) -> String {
        format!(
            "{} — {}",
            self.monday.format("%d.%m.%Y"),
            (self.monday + Duration::days(6)).format("%d.%m.%Y")
        )
    }

    pub fn prev(&self) -> String {
        (self.monday - Duration::days(7)).to_string()
    }

    pub fn next(&self) -> String {
        (self.monday + Duration::days(7)).to_string()
    }

    pub fn key(&self) -> String {
        self.monday.to_string()
    }

    pub fn is_empty(&self) -> bool {
        self.days
            .iter()
            .all(|d| d.lessons.is_empty() && d.external.is_empty())
    }

    /// Every mark of the week (the printed extract's summary).
    pub fn marks(&self) -> impl Iterator<Item = (&DiaryLesson, &DiaryMark)> {
        self.days
            .iter()
            .flat_map(|d| d.lessons.iter())
            .flat_map(|l| l.marks.iter().map(move |m| (l, m)))
    }
}

/// Loads a pupil's week on the page's connection. `today` marks the current day.
pub async fn week(
    conn: &mut PgConnection,
    school: SchoolId,
    pupil: &DiaryPupil,
    monday: NaiveDate,
    today: NaiveDate,
) -> AppResult<DiaryWeek> {
    let mut weeks = weeks(conn, school, std::slice::from_ref(pupil), monday, today).await?;
    Ok(weeks.pop().expect("one week per pupil"))
}

/// Loads the week of several pupils of one class at once (the printed extract of a class): the
/// same four queries as for one pupil. The weeks come in the order of `pupils`.
///
/// On the caller's connection: each acquire from the pool costs a round trip that sets the
/// request's scope (`db::scope`), so a page takes one connection for all its statements.
pub async fn weeks(
    conn: &mut PgConnection,
    school: SchoolId,
    pupils: &[DiaryPupil],
    monday: NaiveDate,
    today: NaiveDate,
) -> AppResult<Vec<DiaryWeek>> {
    let Some(first) = pupils.first() else {
        return Ok(Vec::new());
    };
    let ids: Vec<i64> = pupils.iter().map(|p| p.id).collect();
    let sunday = monday + Duration::days(6);
    // Subqueries name the school by `$1`, not the outer row's column: Citus routes it (SCALE.md).
    let lessons = sqlx::query!(
        r#"WITH mine AS (
               SELECT gp.pupil_id, gp.group_id, gp.starts_on, gp.ends_on FROM group_pupil gp
               WHERE gp.school_id = $1 AND gp.pupil_id = ANY($2)
                 AND gp.starts_on <= $4 AND (gp.ends_on IS NULL OR gp.ends_on >= $3)
           )
           SELECT mine.pupil_id AS "pupil_id!", l.id, l.group_id, l.lesson_date, l.lesson_number, l.status,
                  b.starts_at AS "starts_at?", b.ends_at AS "ends_at?",
                  s.name AS subject,
                  CASE WHEN g.kind = 'whole_class' THEN NULL ELSE g.name END AS "group_name?",
                  ta.last_name || ' ' || left(ta.first_name, 1) || '.' ||
                      CASE WHEN ta.middle_name = '' THEN '' ELSE ' ' || left(ta.middle_name, 1) || '.' END
                      AS "teacher!",
                  sub.teacher_id IS NOT NULL AS "substitute!",
                  r.name AS "room?", l.topic, l.homework,
                  l.teacher_comment, l.change_reason,
                  CASE WHEN l.homework IS NOT NULL THEN
                      (SELECT n.lesson_date FROM lesson n
                       WHERE n.school_id = $1 AND n.group_id = l.group_id
                         AND (n.lesson_date, n.lesson_number) > (l.lesson_date, l.lesson_number)
                         AND n.status NOT IN ('moved', 'cancelled')
                       ORDER BY n.lesson_date, n.lesson_number LIMIT 1)
                  END AS "homework_due?",
                  prev.homework AS "due_homework?", prev.homework_none AS "due_none?",
                  prev.homework_minutes AS "due_minutes?", prev.lesson_date AS "due_set_on?",
                  mf.lesson_date AS "moved_from?",
                  CASE WHEN l.status = 'moved' THEN
                      (SELECT n.lesson_date FROM lesson n
                       WHERE n.school_id = $1 AND n.group_id = l.group_id AND n.moved_from_id = l.id
                       LIMIT 1)
                  END AS "moved_to?",
                  a.lesson_id IS NOT NULL AS "absent!", a.reason AS "absence_reason?"
           FROM mine
           -- The week's plain bounds too: the index's range (a generic plan does not derive
           -- it from greatest/least; it read every lesson of each group).
           JOIN lesson l ON l.school_id = $1 AND l.group_id = mine.group_id
                        AND l.lesson_date BETWEEN $3 AND $4
                        AND l.lesson_date BETWEEN greatest($3, mine.starts_on) AND least($4, coalesce(mine.ends_on, $4))
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           LEFT JOIN substitution sub ON sub.school_id = l.school_id AND sub.lesson_id = l.id
           JOIN account ta ON ta.id = coalesce(sub.teacher_id, l.teacher_id)
           LEFT JOIN room r ON r.school_id = l.school_id AND r.id = l.room_id
           LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           LEFT JOIN timetable_slot ts ON ts.school_id = l.school_id AND ts.id = l.slot_id
           LEFT JOIN bell b ON b.school_id = l.school_id AND b.academic_year_id = g.academic_year_id
                           AND b.shift = coalesce(c.shift, ts.shift, 1) AND b.lesson_number = l.lesson_number
           LEFT JOIN lesson mf ON mf.school_id = l.school_id AND mf.id = l.moved_from_id
           LEFT JOIN LATERAL (
               SELECT p.homework, p.homework_none, p.homework_minutes, p.lesson_date FROM lesson p
               WHERE p.school_id = $1 AND p.group_id = l.group_id
                 AND (p.lesson_date, p.lesson_number) < (l.lesson_date, l.lesson_number)
                 AND p.status NOT IN ('moved', 'cancelled')
               ORDER BY p.lesson_date DESC, p.lesson_number DESC LIMIT 1
           ) prev ON l.status NOT IN ('moved', 'cancelled')
           -- The pupil's absence at the lesson, by its own key (one round trip less a page).
           LEFT JOIN absence a ON a.school_id = $1 AND a.lesson_id = l.id AND a.pupil_id = mine.pupil_id
                              AND a.absent
           ORDER BY l.lesson_date, l.lesson_number, s.name"#,
        school.0,
        &ids,
        monday,
        sunday
    )
    .fetch_all(&mut *conn)
    .await?;

    let marks = sqlx::query!(
        // The week's marks first, then their names: planned generic (the diary's plans are
        // cached), the joined form cross-joined work types with groups and merged thousands of
        // rows (3 ms); this one looks up the twenty-odd marks' names by key (0.4 ms). Every
        // table names the school itself: Citus routes the whole statement to the school's
        // worker only when each of them does (a join through the CTE's column is not enough).
        r#"WITH m AS MATERIALIZED (
               SELECT m.school_id, m.pupil_id, m.value, m.column_id, m.given_on, m.document,
                      m.work_type_id, m.group_id
               FROM mark m
               WHERE m.school_id = $1 AND m.pupil_id = ANY($2) AND m.given_on BETWEEN $3 AND $4
                 AND m.value IS NOT NULL
           )
           SELECT m.pupil_id AS "pupil_id!", m.value AS "value!", mc.lesson_id AS "lesson_id?",
                  m.given_on AS "given_on!", m.document,
                  w.name AS work_type, w.short_name AS work_short, s.name AS subject,
                  (w.weight * 10)::bigint AS "weight_tenths!"
           FROM m
           JOIN work_type w ON w.school_id = $1 AND w.id = m.work_type_id
           JOIN study_group g ON g.school_id = $1 AND g.id = m.group_id
           JOIN subject s ON s.school_id = $1 AND s.id = g.subject_id
           LEFT JOIN mark_column mc ON mc.school_id = $1 AND mc.id = m.column_id
           ORDER BY m.given_on, mc.position"#,
        school.0,
        &ids,
        monday,
        sunday
    )
    .fetch_all(&mut *conn)
    .await?;

    let holidays = sqlx::query!(
        r#"SELECT h.name, h.starts_on, h.ends_on FROM holiday h
           WHERE h.school_id = $1 AND h.academic_year_id = $2
             AND $3 BETWEEN h.grade_from AND h.grade_to
             AND h.starts_on <= $5 AND h.ends_on >= $4"#,
        school.0,
        first.academic_year_id.unwrap_or(0),
        first.grade,
        monday,
        sunday
    )
    .fetch_all(&mut *conn)
    .await?;

    let works = sqlx::query!(
        r#"SELECT gp.pupil_id AS "pupil_id!", cw.work_date, s.name AS subject, cw.form, cw.title
           FROM control_work cw
           JOIN group_pupil gp ON gp.school_id = cw.school_id AND gp.group_id = cw.group_id
                              AND gp.pupil_id = ANY($2) AND gp.starts_on <= cw.work_date
                              AND (gp.ends_on IS NULL OR gp.ends_on >= cw.work_date)
           JOIN study_group g ON g.school_id = cw.school_id AND g.id = cw.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE cw.school_id = $1 AND cw.work_date BETWEEN $3 AND $4
           ORDER BY cw.work_date, s.name"#,
        school.0,
        &ids,
        monday,
        sunday
    )
    .fetch_all(&mut *conn)
    .await?;

    let six_days = first.week_days == 6
        || lessons
            .iter()
            .any(|l| l.lesson_date == monday + Duration::days(5));
    let mut out: Vec<DiaryWeek> = pupils
        .iter()
        .map(|pupil| DiaryWeek {
            monday,
            days: (0..if six_days { 6 } else { 5 })
                .map(|i| {
                    let date = monday + Duration::days(i);
                    DiaryDay {
                        date,
                        heading: day_heading(date),
                        today: date == today,
                        holiday: holidays
                            .iter()
                            .find(|h| h.starts_on <= date && date <= h.ends_on)
                            .map(|h| h.name.clone()),
                        lessons: Vec::new(),
                        external: Vec::new(),
                        control_works: works
                            .iter()
                            .filter(|w| w.pupil_id == pupil.id && w.work_date == date)
                            .map(|w| {
                                if w.title.is_empty() {
                                    format!("{}: {}", w.subject, w.form)
                                } else {
                                    format!("{}: {} ({})", w.subject, w.form, w.title)
                                }
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect();
    let index: HashMap<i64, usize> = pupils.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    for l in lessons {
        let Some(day) = index
            .get(&l.pupil_id)
            .and_then(|&i| out[i].days.iter_mut().find(|d| d.date == l.lesson_date))
        else {
            continue;
        };
        day.lessons.push(DiaryLesson {
            lesson_id: l.id,
            group_id: l.group_id,
            date: l.lesson_date,
            number: l.lesson_number,
            starts_at: l.starts_at,
            ends_at: l.ends_at,
            subject: l.subject,
            group_name: l.group_name,
            teacher: l.teacher,
            substitute: l.substitute,
            room: l.room,
            status: l.status,
            topic: l.topic,
            homework: l.homework,
            homework_due: l.homework_due,
            due: l
                .due_set_on
                .filter(|_| l.due_homework.is_some() || l.due_none == Some(true))
                .map(|set_on| DueHomework {
                    homework: l.due_homework,
                    minutes: l.due_minutes,
                    set_on,
                }),
            comment: l.teacher_comment,
            change_reason: l.change_reason,
            moved_from: l.moved_from,
            moved_to: l.moved_to,
            marks: Vec::new(),
            absence: l
                .absent
                .then(|| l.absence_reason.as_deref().and_then(AbsenceReason::parse)),
        });
    }
    for m in marks {
        let mark = DiaryMark {
            value: m.value,
            work_type: m.work_type,
            work_short: m.work_short,
            document: m.document,
            subject: m.subject,
            weight_tenths: m.weight_tenths,
        };
        let Some(day) = index
            .get(&m.pupil_id)
            .and_then(|&i| out[i].days.iter_mut().find(|d| d.date == m.given_on))
        else {
            continue;
        };
        match m
            .lesson_id
            .and_then(|id| day.lessons.iter_mut().find(|l| l.lesson_id == id))
        {
            Some(lesson) => lesson.marks.push(mark),
            None => day.external.push(mark),
        }
    }
    Ok(out)
}
