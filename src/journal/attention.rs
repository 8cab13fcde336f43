//! What needs the management's attention (regulations §5): the control start page's counts, the
//! lists behind them, the worst classes and teachers, and the list of journals sorted by how far
//! behind each is. The lesson problems (no topic, no homework past the J7 window, late marks of
//! the week, J4 unchecked works) are the database's `control_lesson_problems` (migration
//! `control_problems`), so the counts, the lists and the journals' order agree by construction;
//! every query here is set-based, a few per page whatever the school's size.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone};
use serde::Deserialize;
use sqlx::PgPool;

use crate::audit::Choice;
use crate::error::FieldErrors;
use crate::tenancy::SchoolId;

/// A problem a row of a list stands for; `slug` is its address (`/control/{slug}`) and its value
/// in the journals' filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    NoTopic,
    NoHomework,
    LateMarks,
    Unchecked,
    RemarksOverdue,
    Unlocked,
}

impl Problem {
    pub const ALL: [Problem; 6] = [
        Problem::NoTopic,
        Problem::NoHomework,
        Problem::LateMarks,
        Problem::Unchecked,
        Problem::RemarksOverdue,
        Problem::Unlocked,
    ];

    /// The problems of single lessons (rows of `control_lesson_problems`).
    pub const LESSONS: [Problem; 4] = [
        Problem::NoTopic,
        Problem::NoHomework,
        Problem::LateMarks,
        Problem::Unchecked,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Problem::NoTopic => "no-topic",
            Problem::NoHomework => "no-homework",
            Problem::LateMarks => "late-marks",
            Problem::Unchecked => "unchecked",
            Problem::RemarksOverdue => "remarks",
            Problem::Unlocked => "unlocked",
        }
    }

    /// The kind in `control_lesson_problems`.
    fn kind(self) -> &'static str {
        match self {
            Problem::NoTopic => "no_topic",
            Problem::NoHomework => "no_homework",
            Problem::LateMarks => "late_mark",
            Problem::Unchecked => "unchecked",
            Problem::RemarksOverdue => "remarks",
            Problem::Unlocked => "unlocked",
        }
    }

    pub fn parse(slug: &str) -> Option<Problem> {
        Problem::ALL.into_iter().find(|p| p.slug() == slug)
    }

    /// What the problem is, in the words of the page (no regulation codes).
    pub fn label(self) -> &'static str {
        match self {
            Problem::NoTopic => "Проведённые уроки без темы",
            Problem::NoHomework => "Уроки без домашнего задания и без «Не задано» после срока",
            Problem::LateMarks => "Отметки, выставленные с опозданием на этой неделе",
            Problem::Unchecked => "Письменные работы, не проверенные в срок",
            Problem::RemarksOverdue => "Замечания к журналам, не исправленные в срок",
            Problem::Unlocked => "Журналы, открытые сейчас для записи задним числом",
        }
    }

    /// How a row of its list is explained.
    pub fn explanation(self) -> &'static str {
        match self {
            Problem::NoTopic => {
                "Урок прошёл (не перенесён и не отменён), а тема урока не записана. Тему записывают в день урока."
            }
            Problem::NoHomework => {
                "Не записаны ни домашнее задание, ни «Не задано», а срок записи прошёл: он заканчивается через установленное школой время после последнего урока класса в этот день."
            }
            Problem::LateMarks => {
                "Отметки, внесённые с понедельника этой недели позже положенного срока (по одной строке на отметку)."
            }
            Problem::Unchecked => {
                "Колонки письменных работ, срок проверки которых прошёл, а в колонке нет ни одной отметки, хотя на уроке были обучающиеся (по одной строке на работу)."
            }
            Problem::RemarksOverdue => "Замечания, срок исправления которых прошёл.",
            Problem::Unlocked => {
                "Журналы или уроки, которые заместитель директора открыл для записи."
            }
        }
    }
}

/// The moment the page is about: the school's wall clock, its date, and the week's start.
#[derive(Clone, Copy, Debug)]
pub struct When {
    pub now: chrono::DateTime<chrono::Utc>,
    pub local_now: NaiveDateTime,
    pub today: NaiveDate,
    /// Monday 00:00 of this week, in the school's time zone.
    pub week_start: chrono::DateTime<chrono::Utc>,
}

impl When {
    pub fn at(now: chrono::DateTime<chrono::Utc>, time_zone: &str) -> When {
        let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
        let local_now = now.with_timezone(&tz).naive_local();
        let today = local_now.date();
        let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        let week_start = tz
            .from_local_datetime(&monday.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map_or(now, |t| t.with_timezone(&chrono::Utc));
        When {
            now,
            local_now,
            today,
            week_start,
        }
    }
}

/// The start page's counts, in one query.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub no_topic: i64,
    pub no_homework: i64,
    pub late_marks: i64,
    pub unchecked: i64,
    /// Correction requests waiting for a deputy's decision (J6).
    pub corrections_pending: i64,
    /// Approved by a deputy, waiting for the director's agreement (J6).
    pub corrections_awaiting_director: i64,
    pub remarks_overdue: i64,
    /// Journals (groups) with an unlock in force now.
    pub unlocked: i64,
    /// Parents with an account, of pupils enrolled now, who never opened the diary.
    pub parents_never: i64,
    /// Lessons of the next school day whose teacher (the substitute, if any) is absent.
    pub no_teacher: i64,
}

impl Counts {
    pub fn of(&self, problem: Problem) -> i64 {
        match problem {
            Problem::NoTopic => self.no_topic,
            Problem::NoHomework => self.no_homework,
            Problem::LateMarks => self.late_marks,
            Problem::Unchecked => self.unchecked,
            Problem::RemarksOverdue => self.remarks_overdue,
            Problem::Unlocked => self.unlocked,
        }
    }
}

/// The start page's counts, the school's lesson problems counted once: the problems per class,
/// teacher and kind (for the counts and both «worst» lists) and the other counts, asked at once.
pub async fn counts(
    pool: &PgPool,
    school: SchoolId,
    year: i64,
    when: When,
) -> sqlx::Result<(Counts, Tally)> {
    let (r, tally) = tokio::try_join!(
        sqlx::query!(
            r#"SELECT (SELECT count(*) FROM correction_request
                       WHERE school_id = $1 AND status = 'pending') AS "corrections_pending!",
                      (SELECT count(*) FROM correction_request
                       WHERE school_id = $1 AND status = 'awaiting_director') AS "corrections_awaiting_director!",
                      (SELECT count(*) FROM journal_remark r
                       JOIN study_group g ON g.school_id = r.school_id AND g.id = r.group_id
                       WHERE r.school_id = $1 AND g.academic_year_id = $2
                         AND r.fixed_at IS NULL AND r.due_on < $3) AS "remarks_overdue!",
                      (SELECT count(DISTINCT u.group_id) FROM journal_unlock u
                       JOIN study_group g ON g.school_id = u.school_id AND g.id = u.group_id
                       WHERE u.school_id = $1 AND g.academic_year_id = $2 AND u.until > $4) AS "unlocked!",
                      (SELECT count(*) FROM parent par
                       WHERE par.school_id = $1 AND par.account_id IS NOT NULL
                         AND EXISTS (SELECT 1 FROM pupil_parent pp
                                     JOIN class_enrollment e ON e.school_id = pp.school_id AND e.pupil_id = pp.pupil_id
                                     WHERE pp.school_id = $1 AND pp.parent_id = par.id AND e.ends_on IS NULL)
                         AND NOT EXISTS (SELECT 1 FROM diary_visit v
                                         WHERE v.school_id = $1 AND v.account_id = par.account_id
                                           AND v.role = 'parent')) AS "parents_never!",
                      (SELECT count(*) FROM control_no_teacher($1, $3)) AS "no_teacher!""#,
            school.0,
            year,
            when.today,
            when.now
        )
        .fetch_one(pool),
        tally(pool, school, year, when),
    )?;
    Ok((
        Counts {
            no_topic: tally.count(Problem::NoTopic),
            no_homework: tally.count(Problem::NoHomework),
            late_marks: tally.count(Problem::LateMarks),
            unchecked: tally.count(Problem::Unchecked),
            corrections_pending: r.corrections_pending,
            corrections_awaiting_director: r.corrections_awaiting_director,
            remarks_overdue: r.remarks_overdue,
            unlocked: r.unlocked,
            parents_never: r.parents_never,
            no_teacher: r.no_teacher,
        },
        tally,
    ))
}

/// A class or a teacher with its lesson problems, for «where it is worst».
#[derive(Clone, Debug)]
pub struct Worst {
    pub id: Option<i64>,
    pub name: String,
    pub no_topic: i64,
    pub no_homework: i64,
    pub late_marks: i64,
    pub unchecked: i64,
    pub total: i64,
}

impl Worst {
    fn new(id: Option<i64>, name: String) -> Self {
        Worst {
            id,
            name,
            no_topic: 0,
            no_homework: 0,
            late_marks: 0,
            unchecked: 0,
            total: 0,
        }
    }

    fn add(&mut self, kind: &str, n: i64) {
        match kind {
            "no_topic" => self.no_topic += n,
            "no_homework" => self.no_homework += n,
            "late_mark" => self.late_marks += n,
            _ => self.unchecked += n,
        }
        self.total += n;
    }
}

/// (grade, letter) of a class; none for a group without a class.
type ClassOrder = (Option<i16>, Option<String>);

/// One cell of the tally: the lesson problems of one kind of one class (none: a group without a
/// class) and one teacher.
#[derive(Clone, Debug)]
struct TallyRow {
    class_id: Option<i64>,
    class_name: String,
    /// The classes' order when their totals are equal.
    class_order: ClassOrder,
    teacher_id: Option<i64>,
    /// (last name, first name).
    teacher: Option<(String, String)>,
    kind: String,
    n: i64,
}

/// The school's lesson problems (`control_lesson_problems`) counted per class, teacher and kind.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    rows: Vec<TallyRow>,
}

impl Tally {
    pub fn count(&self, problem: Problem) -> i64 {
        let kind = problem.kind();
        self.rows
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.n)
            .sum()
    }

    /// The classes with the most lesson problems, worst first (at most `limit`).
    pub fn worst_classes(&self, limit: usize) -> Vec<Worst> {
        let mut by: Vec<(Worst, ClassOrder)> = Vec::new();
        for r in &self.rows {
            let at = match by.iter().position(|(w, _)| w.id == r.class_id) {
                Some(i) => i,
                None => {
                    by.push((
                        Worst::new(r.class_id, r.class_name.clone()),
                        r.class_order.clone(),
                    ));
                    by.len() - 1
                }
            };
            by[at].0.add(&r.kind, r.n);
        }
        // Worst first; equal totals by grade and letter, a group without a class last.
        by.sort_by(|(a, ao), (b, bo)| {
            b.total
                .cmp(&a.total)
                .then_with(|| ao.0.is_none().cmp(&bo.0.is_none()))
                .then_with(|| ao.cmp(bo))
        });
        by.into_iter().take(limit).map(|(w, _)| w).collect()
    }

    /// The teachers with the most lesson problems, worst first (at most `limit`).
    pub fn worst_teachers(&self, limit: usize) -> Vec<Worst> {
        let mut by: Vec<(Worst, (String, String))> = Vec::new();
        for r in &self.rows {
            let (Some(id), Some(name)) = (r.teacher_id, &r.teacher) else {
                continue;
            };
            let at = match by.iter().position(|(w, _)| w.id == Some(id)) {
                Some(i) => i,
                None => {
                    by.push((
                        Worst::new(Some(id), format!("{} {}", name.0, name.1)),
                        name.clone(),
                    ));
                    by.len() - 1
                }
            };
            by[at].0.add(&r.kind, r.n);
        }
        by.sort_by(|(a, an), (b, bn)| b.total.cmp(&a.total).then_with(|| an.cmp(bn)));
        by.into_iter().take(limit).map(|(w, _)| w).collect()
    }
}

/// Counts the school's lesson problems per class, teacher and kind: `control_lesson_problems`
/// once for the start page's counts and both lists.
pub async fn tally(pool: &PgPool, school: SchoolId, year: i64, when: When) -> sqlx::Result<Tally> {
    let rows = sqlx::query!(
        r#"SELECT g.class_id AS "class_id?", min(c.grade || '«' || c.letter || '»') AS "class_name?",
                  min(c.grade) AS "grade?", min(c.letter) AS "letter?",
                  p.teacher_id AS "teacher_id?", min(a.last_name) AS "last_name?",
                  min(a.first_name) AS "first_name?", p.kind AS "kind!", count(*) AS "n!"
           FROM control_lesson_problems($1, $2, $3, $4, '-infinity', 'infinity') p
           JOIN study_group g ON g.school_id = $1 AND g.id = p.group_id
           LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           LEFT JOIN account a ON a.id = p.teacher_id
           GROUP BY g.class_id, p.teacher_id, p.kind"#,
        school.0,
        year,
        when.local_now,
        when.week_start
    )
    .fetch_all(pool)
    .await?;
    Ok(Tally {
        rows: rows
            .into_iter()
            .map(|r| TallyRow {
                class_id: r.class_id,
                class_name: r.class_name.unwrap_or_else(|| "без класса".into()),
                class_order: (r.grade, r.letter),
                teacher_id: r.teacher_id,
                teacher: r.last_name.zip(r.first_name),
                kind: r.kind,
                n: r.n,
            })
            .collect(),
    })
}

/// A row of a list behind a count: a lesson (or a journal) with what is wrong.
#[derive(Clone, Debug)]
pub struct ProblemRow {
    pub lesson_id: Option<i64>,
    pub group_id: i64,
    pub lesson_date: Option<NaiveDate>,
    pub class_name: String,
    pub subject: String,
    pub group_name: String,
    pub teacher: String,
    /// The pupil of a late mark, the work type of an unchecked work, the remark's text, the
    /// unlock's reason.
    pub detail: Option<String>,
    /// The remark's due date, the unlock's end.
    pub until: Option<String>,
}

impl ProblemRow {
    pub fn date_text(&self) -> String {
        self.lesson_date
            .map(|d| d.format("%d.%m.%Y").to_string())
            .unwrap_or_default()
    }
}

/// The most rows a list shows (the count above it says how many there are).
pub const LIST_LIMIT: i64 = 500;

/// The rows behind one count, the earliest first, at most [`LIST_LIMIT`].
pub async fn problem_rows(
    pool: &PgPool,
    school: SchoolId,
    year: i64,
    when: When,
    problem: Problem,
    time_zone: &str,
) -> sqlx::Result<Vec<ProblemRow>> {
    match problem {
        Problem::RemarksOverdue => sqlx::query_as!(
            ProblemRow,
            r#"SELECT NULL::bigint AS lesson_id, g.id AS group_id, NULL::date AS lesson_date,
                      coalesce(c.grade || '«' || c.letter || '»', '') AS "class_name!",
                      s.name AS subject, g.name AS group_name,
                      coalesce((SELECT string_agg(a.last_name || ' ' || left(a.first_name, 1) || '.', ', ')
                                FROM teaching_assignment t JOIN account a ON a.id = t.teacher_id
                                WHERE t.school_id = $1 AND t.group_id = g.id), '') AS "teacher!",
                      r.text AS "detail?", to_char(r.due_on, 'DD.MM.YYYY') AS "until?"
               FROM journal_remark r
               JOIN study_group g ON g.school_id = r.school_id AND g.id = r.group_id
               JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
               LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
               WHERE r.school_id = $1 AND g.academic_year_id = $2
                 AND r.fixed_at IS NULL AND r.due_on < $3
               ORDER BY r.due_on, r.id
               LIMIT $4"#,
            school.0,
            year,
            when.today,
            LIST_LIMIT
        )
        .fetch_all(pool)
        .await,
        Problem::Unlocked => sqlx::query_as!(
            ProblemRow,
            r#"SELECT u.lesson_id AS "lesson_id?", g.id AS group_id, l.lesson_date AS "lesson_date?",
                      coalesce(c.grade || '«' || c.letter || '»', '') AS "class_name!",
                      s.name AS subject, g.name AS group_name,
                      coalesce((SELECT string_agg(a.last_name || ' ' || left(a.first_name, 1) || '.', ', ')
                                FROM teaching_assignment t JOIN account a ON a.id = t.teacher_id
                                WHERE t.school_id = $1 AND t.group_id = g.id), '') AS "teacher!",
                      u.reason AS "detail?",
                      to_char(u.until AT TIME ZONE $5, 'DD.MM.YYYY HH24:MI') AS "until?"
               FROM journal_unlock u
               JOIN study_group g ON g.school_id = u.school_id AND g.id = u.group_id
               JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
               LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
               LEFT JOIN lesson l ON l.school_id = u.school_id AND l.id = u.lesson_id
               WHERE u.school_id = $1 AND g.academic_year_id = $2 AND u.until > $3
               ORDER BY u.until, u.id
               LIMIT $4"#,
            school.0,
            year,
            when.now,
            LIST_LIMIT,
            time_zone
        )
        .fetch_all(pool)
        .await,
        _ => sqlx::query_as!(
            ProblemRow,
            r#"SELECT p.lesson_id AS "lesson_id?", p.group_id AS "group_id!",
                      p.lesson_date AS "lesson_date?",
                      coalesce(c.grade || '«' || c.letter || '»', '') AS "class_name!",
                      s.name AS subject, g.name AS group_name,
                      a.last_name || ' ' || left(a.first_name, 1) || '.' AS "teacher!",
                      p.detail AS "detail?", NULL::text AS "until?"
               FROM control_lesson_problems($1, $2, $3, $4, '-infinity', 'infinity') p
               JOIN study_group g ON g.school_id = $1 AND g.id = p.group_id
               JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
               LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
               JOIN account a ON a.id = p.teacher_id
               WHERE p.kind = $5
               ORDER BY p.lesson_date, c.grade NULLS LAST, c.letter, s.name, p.lesson_id, p.detail
               LIMIT $6"#,
            school.0,
            year,
            when.local_now,
            when.week_start,
            problem.kind(),
            LIST_LIMIT
        )
        .fetch_all(pool)
        .await,
    }
}

/// A parent who never opened the diary, with their children enrolled now.
#[derive(Clone, Debug)]
pub struct SilentParent {
    pub name: String,
    pub children: String,
    pub class_id: Option<i64>,
}

/// Parents with an account, of pupils enrolled now, who never opened the diary; at most
/// [`LIST_LIMIT`], by class and name.
pub async fn silent_parents(pool: &PgPool, school: SchoolId) -> sqlx::Result<Vec<SilentParent>> {
    sqlx::query_as!(
        SilentParent,
        r#"SELECT par.last_name || ' ' || par.first_name ||
                      CASE WHEN par.middle_name = '' THEN '' ELSE ' ' || par.middle_name END AS "name!",
                  string_agg(p.last_name || ' ' || p.first_name || ' (' || c.grade || '«' || c.letter || '»)', ', '
                             ORDER BY p.last_name, p.first_name) AS "children!",
                  min(c.id) AS class_id
           FROM parent par
           JOIN pupil_parent pp ON pp.school_id = par.school_id AND pp.parent_id = par.id
           JOIN class_enrollment e ON e.school_id = pp.school_id AND e.pupil_id = pp.pupil_id AND e.ends_on IS NULL
           JOIN pupil p ON p.school_id = e.school_id AND p.id = e.pupil_id
           JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
           WHERE par.school_id = $1 AND par.account_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM diary_visit v
                             WHERE v.school_id = $1 AND v.account_id = par.account_id
                               AND v.role = 'parent')
           GROUP BY par.school_id, par.id
           ORDER BY min(c.grade), min(c.letter), min(par.last_name), min(par.first_name)
           LIMIT $2"#,
        school.0,
        LIST_LIMIT
    )
    .fetch_all(pool)
    .await
}

/// A lesson of the next school day without a teacher: its teacher (or its substitute) is absent.
#[derive(Clone, Debug)]
pub struct NoTeacherRow {
    pub lesson_id: i64,
    pub group_id: i64,
    pub lesson_date: NaiveDate,
    pub lesson_number: i16,
    pub class_name: String,
    pub group_name: String,
    pub subject: String,
    /// The absent teacher: the substitute when there is one.
    pub teacher: String,
    /// The lesson has a substitute, absent too.
    pub substituted: bool,
}

/// The lessons behind the start page's «Уроки завтра без учителя» (`control_no_teacher`), by
/// lesson number and class, at most [`LIST_LIMIT`].
pub async fn no_teacher_rows(
    pool: &PgPool,
    school: SchoolId,
    today: NaiveDate,
) -> sqlx::Result<Vec<NoTeacherRow>> {
    sqlx::query_as!(
        NoTeacherRow,
        r#"SELECT l.id AS lesson_id, l.group_id, p.lesson_date AS "lesson_date!", l.lesson_number,
                  coalesce(c.grade || '«' || c.letter || '»', '') AS "class_name!",
                  g.name AS group_name, s.name AS subject,
                  a.last_name || ' ' || a.first_name || ' ' || a.middle_name AS "teacher!",
                  EXISTS (SELECT 1 FROM substitution sb
                          WHERE sb.school_id = $1 AND sb.lesson_id = l.id) AS "substituted!"
           FROM control_no_teacher($1, $2) p
           JOIN lesson l ON l.school_id = $1 AND l.id = p.lesson_id
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           JOIN account a ON a.id = p.absent_teacher_id
           ORDER BY l.lesson_number, c.grade NULLS LAST, c.letter, g.name, l.id
           LIMIT $3"#,
        school.0,
        today,
        LIST_LIMIT
    )
    .fetch_all(pool)
    .await
}

// ---------------------------------------------------------------- the list of journals

/// The journals' filter as typed in the address (GET parameters), before checking.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RawJournalFilter {
    #[serde(default)]
    pub class: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub teacher: String,
    #[serde(default)]
    pub problem: String,
    #[serde(default)]
    pub page: String,
}

impl RawJournalFilter {
    /// The address of another page of the same filter.
    pub fn page_href(&self, page: i64) -> String {
        let page = page.to_string();
        let kept: Vec<(&str, &str)> = [
            ("class", self.class.as_str()),
            ("subject", self.subject.as_str()),
            ("teacher", self.teacher.as_str()),
            ("problem", self.problem.as_str()),
        ]
        .iter()
        .map(|(k, v)| (*k, v.trim()))
        .filter(|(_, v)| !v.is_empty())
        .chain([("page", page.as_str())])
        .collect();
        format!(
            "/journal?{}",
            serde_urlencoded::to_string(kept).unwrap_or_default()
        )
    }
}

/// The filter's choices: the year's classes, the school's subjects, the year's teachers.
#[derive(Clone, Debug, Default)]
pub struct JournalChoices {
    pub classes: Vec<Choice>,
    pub subjects: Vec<Choice>,
    pub teachers: Vec<Choice>,
}

pub async fn journal_choices(
    pool: &PgPool,
    school: SchoolId,
    year: i64,
) -> sqlx::Result<JournalChoices> {
    let classes = sqlx::query_as!(
        Choice,
        r#"SELECT id, grade || '«' || letter || '»' AS "label!" FROM school_class
           WHERE school_id = $1 AND academic_year_id = $2 ORDER BY grade, letter"#,
        school.0,
        year
    )
    .fetch_all(pool)
    .await?;
    let subjects = sqlx::query_as!(
        Choice,
        r#"SELECT DISTINCT s.id, s.name AS "label!" FROM subject s
           JOIN study_group g ON g.school_id = s.school_id AND g.subject_id = s.id
           WHERE s.school_id = $1 AND g.academic_year_id = $2 ORDER BY 2, 1"#,
        school.0,
        year
    )
    .fetch_all(pool)
    .await?;
    let teachers = sqlx::query_as!(
        Choice,
        r#"SELECT DISTINCT a.id, a.last_name || ' ' || a.first_name AS "label!"
           FROM teaching_assignment t
           JOIN study_group g ON g.school_id = t.school_id AND g.id = t.group_id
           JOIN account a ON a.id = t.teacher_id
           WHERE t.school_id = $1 AND g.academic_year_id = $2 ORDER BY 2, 1"#,
        school.0,
        year
    )
    .fetch_all(pool)
    .await?;
    Ok(JournalChoices {
        classes,
        subjects,
        teachers,
    })
}

/// The checked filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JournalFilter {
    pub class: Option<i64>,
    pub subject: Option<i64>,
    pub teacher: Option<i64>,
    pub problem: Option<Problem>,
    /// From 1.
    pub page: i64,
}

/// Journals a page of the list shows.
pub const JOURNALS_PAGE: i64 = 50;
/// The last page one may ask for (a bound on OFFSET).
pub const MAX_PAGE: i64 = 1000;

/// Checks the typed filter against the choices: a value not in the list (another school's id,
/// a word) is a Russian message next to its field, and that condition is dropped.
pub fn parse_journal_filter(
    raw: &RawJournalFilter,
    choices: &JournalChoices,
) -> (JournalFilter, FieldErrors) {
    let mut errors = FieldErrors::new();
    let mut pick = |field: &'static str, value: &str, list: &[Choice], message: &str| {
        crate::input::choice(
            &mut errors,
            field,
            value,
            list.iter().map(|c| c.id),
            message,
        )
    };
    let class = pick(
        "class",
        &raw.class,
        &choices.classes,
        "Выберите класс из списка.",
    );
    let subject = pick(
        "subject",
        &raw.subject,
        &choices.subjects,
        "Выберите предмет из списка.",
    );
    let teacher = pick(
        "teacher",
        &raw.teacher,
        &choices.teachers,
        "Выберите учителя из списка.",
    );
    let problem = match raw.problem.trim() {
        "" => None,
        slug => match Problem::parse(slug) {
            Some(p) => Some(p),
            None => {
                errors.add("problem", "Выберите проблему из списка.");
                None
            }
        },
    };
    let page = match raw.page.trim() {
        "" => 1,
        p => match p.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                errors.add(
                    "page",
                    format!("Номер страницы — число от 1 до {MAX_PAGE}."),
                );
                1
            }
        },
    };
    (
        JournalFilter {
            class,
            subject,
            teacher,
            problem,
            page,
        },
        errors,
    )
}

/// A journal of the management's list with how far behind it is.
#[derive(Clone, Debug)]
pub struct BehindLine {
    pub group_id: i64,
    pub class_name: String,
    pub group_name: String,
    pub subject: String,
    pub teachers: String,
    /// The viewer substitutes at a lesson of this group and does not teach it.
    pub substituted: bool,
    pub no_topic: i64,
    pub no_homework: i64,
    pub late_marks: i64,
    pub unchecked: i64,
    pub remarks_overdue: i64,
    pub unlocked: bool,
    /// How many journals the filter finds (every row carries it).
    pub total: i64,
}

impl BehindLine {
    /// How far behind: every lesson problem and overdue remark counts one.
    pub fn behind(&self) -> i64 {
        self.no_topic + self.no_homework + self.late_marks + self.unchecked + self.remarks_overdue
    }
}

/// One page of the year's journals under the filter, the furthest behind first, in one query.
pub async fn journals_behind(
    pool: &PgPool,
    school: SchoolId,
    year: i64,
    when: When,
    filter: JournalFilter,
    viewer: i64,
) -> sqlx::Result<Vec<BehindLine>> {
    let problem = filter.problem.map(Problem::kind);
    // Subqueries name the school by `$1`, not the outer row's column: Citus routes it (SCALE.md).
    sqlx::query_as!(
        BehindLine,
        r#"WITH p AS (
               SELECT group_id,
                      count(*) FILTER (WHERE kind = 'no_topic') AS no_topic,
                      count(*) FILTER (WHERE kind = 'no_homework') AS no_homework,
                      count(*) FILTER (WHERE kind = 'late_mark') AS late_marks,
                      count(*) FILTER (WHERE kind = 'unchecked') AS unchecked
               FROM control_lesson_problems($1, $2, $3, $4, '-infinity', 'infinity')
               GROUP BY group_id),
           r AS (
               SELECT group_id, count(*) AS n FROM journal_remark
               WHERE school_id = $1 AND fixed_at IS NULL AND due_on < $5
               GROUP BY group_id),
           u AS (
               SELECT DISTINCT group_id FROM journal_unlock WHERE school_id = $1 AND until > $6),
           j AS (
               SELECT g.id AS group_id, g.name AS group_name, s.name AS subject, c.grade, c.letter,
                      coalesce(c.grade || '«' || c.letter || '»', '') AS class_name,
                      coalesce(p.no_topic, 0) AS no_topic, coalesce(p.no_homework, 0) AS no_homework,
                      coalesce(p.late_marks, 0) AS late_marks, coalesce(p.unchecked, 0) AS unchecked,
                      coalesce(r.n, 0) AS remarks_overdue, u.group_id IS NOT NULL AS unlocked
               FROM study_group g
               JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
               LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
               LEFT JOIN p ON p.group_id = g.id
               LEFT JOIN r ON r.group_id = g.id
               LEFT JOIN u ON u.group_id = g.id
               WHERE g.school_id = $1 AND g.academic_year_id = $2
                 AND ($7::bigint IS NULL OR g.class_id = $7)
                 AND ($8::bigint IS NULL OR g.subject_id = $8)
                 AND ($9::bigint IS NULL OR EXISTS (
                      SELECT 1 FROM teaching_assignment t
                      WHERE t.school_id = $1 AND t.group_id = g.id AND t.teacher_id = $9)))
           SELECT j.group_id AS "group_id!", j.class_name AS "class_name!",
                  j.group_name AS "group_name!", j.subject AS "subject!",
                  coalesce((SELECT string_agg(a.last_name || ' ' || left(a.first_name, 1) || '.', ', ')
                            FROM teaching_assignment t JOIN account a ON a.id = t.teacher_id
                            WHERE t.school_id = $1 AND t.group_id = j.group_id), '') AS "teachers!",
                  (NOT EXISTS (SELECT 1 FROM teaching_assignment t
                               WHERE t.school_id = $1 AND t.group_id = j.group_id AND t.teacher_id = $10)
                   AND EXISTS (SELECT 1 FROM substitution sb
                               JOIN lesson l ON l.school_id = sb.school_id AND l.id = sb.lesson_id
                               WHERE sb.school_id = $1 AND l.group_id = j.group_id
                                 AND sb.teacher_id = $10)) AS "substituted!",
                  j.no_topic AS "no_topic!", j.no_homework AS "no_homework!",
                  j.late_marks AS "late_marks!", j.unchecked AS "unchecked!",
                  j.remarks_overdue AS "remarks_overdue!", j.unlocked AS "unlocked!",
                  count(*) OVER () AS "total!"
           FROM j
           WHERE $11::text IS NULL
              OR ($11 = 'no_topic' AND j.no_topic > 0)
              OR ($11 = 'no_homework' AND j.no_homework > 0)
              OR ($11 = 'late_mark' AND j.late_marks > 0)
              OR ($11 = 'unchecked' AND j.unchecked > 0)
              OR ($11 = 'remarks' AND j.remarks_overdue > 0)
              OR ($11 = 'unlocked' AND j.unlocked)
           ORDER BY j.no_topic + j.no_homework + j.late_marks + j.unchecked + j.remarks_overdue DESC,
                    j.grade NULLS LAST, j.letter, j.subject, j.group_name, j.group_id
           LIMIT $12 OFFSET $13"#,
        school.0,
        year,
        when.local_now,
        when.week_start,
        when.today,
        when.now,
        filter.class,
        filter.subject,
        filter.teacher,
        viewer,
        problem,
        JOURNALS_PAGE,
        (filter.page - 1) * JOURNALS_PAGE
    )
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices() -> JournalChoices {
        let c = |id, label: &str| Choice {
            id,
            label: label.into(),
        };
        JournalChoices {
            classes: vec![c(1, "5«А»")],
            subjects: vec![c(2, "Математика")],
            teachers: vec![c(3, "Васильева Наталья")],
        }
    }

    #[test]
    fn a_filter_value_outside_the_lists_is_a_message_next_to_its_field() {
        let raw = RawJournalFilter {
            class: "99".into(),
            subject: "abc".into(),
            teacher: "3".into(),
            problem: "drop table".into(),
            page: "100000".into(),
        };
        let (filter, errors) = parse_journal_filter(&raw, &choices());
        assert_eq!(filter.class, None);
        assert_eq!(filter.subject, None);
        assert_eq!(filter.teacher, Some(3));
        assert_eq!(filter.problem, None);
        assert_eq!(filter.page, 1);
        for field in ["class", "subject", "problem", "page"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        assert!(errors.get("teacher").is_none());
    }

    #[test]
    fn every_problem_is_found_by_its_address() {
        for p in Problem::ALL {
            assert_eq!(Problem::parse(p.slug()), Some(p));
        }
        assert_eq!(Problem::parse("J1"), None);
    }

    #[test]
    fn the_week_starts_on_monday_midnight_in_the_schools_time_zone() {
        // Wednesday 18.11.2026 12:00 UTC = 15:00 in Moscow; Monday 16.11 00:00 MSK = 15.11 21:00 UTC.
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 18, 12, 0, 0)
            .unwrap();
        let when = When::at(now, "Europe/Moscow");
        assert_eq!(
            when.week_start,
            chrono::Utc
                .with_ymd_and_hms(2026, 11, 15, 21, 0, 0)
                .unwrap()
        );
        assert_eq!(when.today, NaiveDate::from_ymd_opt(2026, 11, 18).unwrap());
    }
}
