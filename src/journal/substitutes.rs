//! Who may substitute at a lesson (J15; issue 15 item 2): the deputy's page of the day lists the
//! lessons compactly and shows the substitution form of one lesson, or of each lesson of one
//! absent teacher's day, offering first the teachers free at that hour who teach the lesson's
//! subject, then the other free teachers, then — marked — those busy then or absent that day.
//!
//! Two set-based queries whatever the number of forms shown: the day's lessons
//! (`control::day_lessons`, which the page lists anyway) and the school's teachers with their
//! absence that day and the subjects they teach (`teachers_on`). Who is free at which hour is
//! then decided in memory by the rule the write checks (`control::register_substitution`: a
//! teacher absent that day, or giving or substituting another lesson at that hour, is refused).

use std::collections::HashSet;

use chrono::NaiveDate;
use sqlx::PgPool;

use super::control::DayLesson;
use crate::tenancy::SchoolId;

/// A teacher of the school as the day's page needs them.
#[derive(Debug, Clone)]
pub struct Teacher {
    pub id: i64,
    /// «Васильева Наталья Сергеевна»
    pub full_name: String,
    /// A registered absence covers the day.
    pub absent: bool,
    /// The subjects of the groups they teach in the year of the day.
    pub subjects: Vec<i64>,
}

/// The school's teachers (those who may substitute: teachers, class teachers, deputies, the
/// director) in Russian order, each with their absence on `date` and the subjects they teach in
/// the academic year of `date` — one query.
pub async fn teachers_on(
    pool: &PgPool,
    school: SchoolId,
    date: NaiveDate,
) -> sqlx::Result<Vec<Teacher>> {
    sqlx::query_as!(
        Teacher,
        r#"WITH staff AS (
               SELECT DISTINCT m.account_id FROM membership m
               WHERE m.school_id = $1 AND m.revoked_at IS NULL
                 AND m.role IN ('teacher', 'class_teacher', 'deputy', 'director')
           ), away AS (
               SELECT DISTINCT ta.teacher_id FROM teacher_absence ta
               WHERE ta.school_id = $1 AND ta.starts_on <= $2 AND ta.ends_on >= $2
           ), taught AS (
               SELECT t.teacher_id, array_agg(DISTINCT g.subject_id) AS subjects
               FROM teaching_assignment t
               JOIN study_group g ON g.school_id = t.school_id AND g.id = t.group_id
               JOIN academic_year y ON y.school_id = g.school_id AND y.id = g.academic_year_id
               WHERE t.school_id = $1 AND y.starts_on <= $2 AND y.ends_on >= $2
               GROUP BY t.teacher_id
           )
           SELECT a.id,
                  a.last_name || ' ' || a.first_name || ' ' || a.middle_name AS "full_name!",
                  (w.teacher_id IS NOT NULL) AS "absent!",
                  coalesce(tt.subjects, '{}') AS "subjects!"
           FROM staff st
           JOIN account a ON a.id = st.account_id
           LEFT JOIN away w ON w.teacher_id = a.id
           LEFT JOIN taught tt ON tt.teacher_id = a.id
           ORDER BY a.last_name, a.first_name, a.middle_name, a.id"#,
        school.0,
        date
    )
    .fetch_all(pool)
    .await
}

/// Where a teacher stands at a lesson's hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Free at that hour and teaches the lesson's subject.
    SameSubject,
    /// Free at that hour.
    Free,
    /// Gives a lesson of their own then: «Физика — 7Б».
    Busy(String),
    /// Substitutes at another lesson then.
    Substituting(String),
    /// Absent that day.
    Absent,
}

impl Standing {
    /// Free teachers first (same subject first), then the busy, then the absent.
    fn rank(&self) -> u8 {
        match self {
            Standing::SameSubject => 0,
            Standing::Free => 1,
            Standing::Busy(_) | Standing::Substituting(_) => 2,
            Standing::Absent => 3,
        }
    }

    pub fn is_free(&self) -> bool {
        self.rank() < 2
    }

    /// What the choice says after the name («урок «Физика — 7Б»»), empty for the free.
    pub fn note(&self) -> String {
        match self {
            Standing::SameSubject | Standing::Free => String::new(),
            Standing::Busy(other) => format!("занят: урок «{other}»"),
            Standing::Substituting(other) => format!("занят: замена на уроке «{other}»"),
            Standing::Absent => "отсутствует".into(),
        }
    }
}

/// A teacher offered as a lesson's substitute.
#[derive(Debug, Clone)]
pub struct Choice {
    pub teacher_id: i64,
    pub name: String,
    pub standing: Standing,
}

/// The teachers who might substitute at `lesson` (not its own teacher), free ones first — those
/// who teach its subject before the others — then those busy at that hour, then the absent;
/// alphabetical within each (the order of `teachers`). `day` is the day's lessons of the school:
/// a lesson moved away or cancelled takes nobody's hour, a substituted one takes the
/// substitute's, not its own teacher's, and `lesson` itself does not count (its current
/// substitute is free for it).
pub fn choices(day: &[DayLesson], teachers: &[Teacher], lesson: &DayLesson) -> Vec<Choice> {
    let mut out: Vec<Choice> = teachers
        .iter()
        .filter(|t| t.id != lesson.teacher_id)
        .map(|t| {
            let other = day.iter().find(|o| {
                o.id != lesson.id
                    && o.lesson_number == lesson.lesson_number
                    && o.takes_place()
                    && o.giver() == t.id
            });
            let standing = if t.absent {
                Standing::Absent
            } else if let Some(o) = other {
                if o.substitute_id == Some(t.id) {
                    Standing::Substituting(o.title())
                } else {
                    Standing::Busy(o.title())
                }
            } else if t.subjects.contains(&lesson.subject_id) {
                Standing::SameSubject
            } else {
                Standing::Free
            };
            Choice {
                teacher_id: t.id,
                name: t.full_name.clone(),
                standing,
            }
        })
        .collect();
    out.sort_by_key(|c| c.standing.rank());
    out
}

/// The ids of the teachers absent that day.
pub fn absent_ids(teachers: &[Teacher]) -> HashSet<i64> {
    teachers.iter().filter(|t| t.absent).map(|t| t.id).collect()
}

/// A lesson still to be given whose teacher — the substitute when there is one — is absent:
/// the lessons the control start page counts as «без учителя» (`control_no_teacher`).
pub fn needs_substitute(lesson: &DayLesson, absent: &HashSet<i64>) -> bool {
    lesson.open() && absent.contains(&lesson.giver())
}

/// A teacher absent on the day, with their lessons.
#[derive(Debug, Clone)]
pub struct AbsentTeacher {
    pub id: i64,
    pub name: String,
    /// Their lessons of the day still to be given (their own and those they were to substitute).
    pub lessons: usize,
    /// Of these, the ones without another teacher yet.
    pub uncovered: usize,
}

/// The teachers absent on the day, in the order of `teachers`.
pub fn absent_teachers(day: &[DayLesson], teachers: &[Teacher]) -> Vec<AbsentTeacher> {
    teachers
        .iter()
        .filter(|t| t.absent)
        .map(|t| {
            let theirs = day
                .iter()
                .filter(|l| l.open() && (l.teacher_id == t.id || l.substitute_id == Some(t.id)));
            let (lessons, uncovered) = theirs.fold((0, 0), |(n, u), l| {
                (n + 1, u + usize::from(l.giver() == t.id))
            });
            AbsentTeacher {
                id: t.id,
                name: t.full_name.clone(),
                lessons,
                uncovered,
            }
        })
        .collect()
}

/// The lessons of one teacher's day: those they give by the timetable and those they substitute.
pub fn lessons_of(day: &[DayLesson], teacher_id: i64) -> Vec<&DayLesson> {
    let mut theirs: Vec<&DayLesson> = day
        .iter()
        .filter(|l| l.teacher_id == teacher_id || l.substitute_id == Some(teacher_id))
        .collect();
    theirs.sort_by_key(|l| (l.lesson_number, l.id));
    theirs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(id: i64, number: i16, subject_id: i64, teacher_id: i64) -> DayLesson {
        DayLesson {
            id,
            group_id: id,
            group_name: format!("группа {id}"),
            class_name: String::new(),
            class_id: None,
            subject_id,
            subject: format!("предмет {subject_id}"),
            lesson_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            lesson_number: number,
            status: "scheduled".into(),
            teacher_id,
            teacher: String::new(),
            teacher_short: String::new(),
            room: None,
            substitute_id: None,
            substitute: None,
            substitute_short: None,
            substitution_reason: None,
            change_reason: None,
            moved_to_date: None,
            moved_to_number: None,
            moved_from_date: None,
            moved_from_number: None,
        }
    }

    fn teacher(id: i64, name: &str, subjects: &[i64], absent: bool) -> Teacher {
        Teacher {
            id,
            full_name: name.into(),
            absent,
            subjects: subjects.to_vec(),
        }
    }

    #[test]
    fn j15_free_teachers_of_the_subject_come_first_then_the_free_then_the_busy_then_the_absent() {
        // Lesson 10: maths (subject 1) at the 2nd hour, teacher 1 absent.
        let mut day = vec![
            lesson(10, 2, 1, 1),
            lesson(11, 2, 2, 2), // Б gives physics then
            lesson(12, 3, 1, 3), // В gives maths at the 3rd hour: free at the 2nd
            lesson(13, 2, 2, 6), // cancelled: Е is free
            lesson(14, 2, 2, 7), // Ж's lesson has a substitute (Г): Ж is free, Г busy
        ];
        day[3].status = "cancelled".into();
        day[4].substitute_id = Some(4);
        let teachers = vec![
            teacher(1, "А", &[1], true),
            teacher(2, "Б", &[1], false),
            teacher(3, "В", &[1], false),
            teacher(4, "Г", &[1], false),
            teacher(5, "Д", &[1], true),
            teacher(6, "Е", &[2], false),
            teacher(7, "Ж", &[], false),
        ];
        let got: Vec<(String, Standing)> = choices(&day, &teachers, &day[0])
            .into_iter()
            .map(|c| (c.name, c.standing))
            .collect();
        assert_eq!(
            got,
            vec![
                ("В".into(), Standing::SameSubject),
                ("Е".into(), Standing::Free),
                ("Ж".into(), Standing::Free),
                ("Б".into(), Standing::Busy("предмет 2 — группа 11".into())),
                (
                    "Г".into(),
                    Standing::Substituting("предмет 2 — группа 14".into())
                ),
                ("Д".into(), Standing::Absent),
            ]
        );
    }

    #[test]
    fn j15_a_lessons_current_substitute_is_free_for_it_and_an_absent_substitute_leaves_it_uncovered()
     {
        let mut day = vec![lesson(10, 2, 1, 1), lesson(11, 4, 1, 1)];
        day[0].substitute_id = Some(2);
        day[1].substitute_id = Some(3);
        let teachers = vec![
            teacher(1, "А", &[1], true),
            teacher(2, "Б", &[1], false),
            teacher(3, "В", &[1], true),
        ];
        let first = choices(&day, &teachers, &day[0]);
        assert_eq!(first[0].name, "Б");
        assert!(first[0].standing.is_free());
        let absent = absent_ids(&teachers);
        assert!(!needs_substitute(&day[0], &absent));
        assert!(needs_substitute(&day[1], &absent));
        let away = absent_teachers(&day, &teachers);
        assert_eq!(
            away.iter()
                .map(|a| (a.name.as_str(), a.lessons, a.uncovered))
                .collect::<Vec<_>>(),
            vec![("А", 2, 0), ("В", 1, 1)]
        );
        assert_eq!(
            lessons_of(&day, 3).iter().map(|l| l.id).collect::<Vec<_>>(),
            vec![11]
        );
    }
}
