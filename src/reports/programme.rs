//! Programme completion (regulations §5, «выполнение программы» and «выполнение учебного
//! плана»), in two queries whatever the school's size:
//!
//! - per group (journal): the КТП as laid onto the group's lessons (`plans::lay_out`: each lesson
//!   carries the topic the plan gives it in `lesson.planned_topic`) against the lessons held. The
//!   report's day is the filter's last day, or today if that is earlier. **Planned** — the
//!   group's lessons from the filter's first day to the report's day that carry a КТП topic and
//!   were not moved away (a moved lesson counts on its new date; a cancelled one stays planned);
//!   **held** — the product's held lesson (as in the attendance report and the control lists):
//!   a lesson of those dates not cancelled and not moved away. The difference held − planned:
//!   below zero the group lags, above it leads. The topic by the plan is the КТП topic of the
//!   last planned lesson; the topic written is the topic of the last held lesson that has one.
//!   Lagging groups first.
//! - per class (and per profile, parallel and school): the lessons the timetable planned for the
//!   class's groups (whole class and subgroups) in those dates — a lesson of the class is a date
//!   and lesson number, so subgroups learning at the same time count once — against those held,
//!   per subject and in total, with the curriculum's hours a week beside them.
//!
//! Groups without a class (streams, electives, individual plans) are in the group part only. A
//! period chosen narrows the classes to the grades of its scheme (as the progress report does).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::PgPool;

use super::{Filter, fixed, percent_tenths, whole};
use crate::error::AppResult;
use crate::exports::table::{Cell, Column, Kind, Table};
use crate::tenancy::SchoolId;

/// One group (journal) against its КТП.
#[derive(Clone, Debug)]
pub struct GroupLine {
    pub group_id: i64,
    pub class_label: String,
    pub subject: String,
    pub group_name: String,
    pub teachers: String,
    /// The hours of the whole КТП.
    pub plan_hours: i64,
    pub planned: i64,
    pub held: i64,
    /// Lessons of the dates cancelled.
    pub cancelled: i64,
    /// (КТП number, title) of the topic the plan reaches by the report's day.
    pub plan_topic: Option<(Option<i32>, String)>,
    /// (lesson, КТП number if the title is the plan's, title) of the last topic written.
    pub written_topic: Option<(i64, Option<i32>, String)>,
}

impl GroupLine {
    pub fn difference(&self) -> i64 {
        self.held - self.planned
    }

    /// Held ÷ planned × 100 in tenths; none without planned lessons.
    pub fn done_tenths(&self) -> Option<i64> {
        percent_tenths(self.held, self.planned)
    }

    /// «отстаёт на 3 ч», «опережает на 2 ч», «по плану».
    pub fn state(&self) -> String {
        let d = self.difference();
        let h = |n: i64| format!("{n} ч");
        match d {
            0 => "по плану".into(),
            d if d < 0 => format!("отстаёт на {}", h(-d)),
            d => format!("опережает на {}", h(d)),
        }
    }

    fn topic_text(number: Option<i32>, title: &str) -> String {
        match number {
            Some(n) => format!("{n}. {title}"),
            None => title.to_string(),
        }
    }

    pub fn plan_topic_text(&self) -> String {
        self.plan_topic
            .as_ref()
            .map(|(n, t)| Self::topic_text(*n, t))
            .unwrap_or_default()
    }

    pub fn written_topic_text(&self) -> String {
        self.written_topic
            .as_ref()
            .map(|(_, n, t)| Self::topic_text(*n, t))
            .unwrap_or_default()
    }
}

/// Lessons planned by the timetable and held, with the curriculum's hours a week.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hours {
    /// The curriculum's hours a week, in tenths (none: no curriculum line).
    pub per_week_tenths: Option<i64>,
    pub planned: i64,
    pub held: i64,
}

impl Hours {
    fn add(&mut self, o: &Hours) {
        self.per_week_tenths = match (self.per_week_tenths, o.per_week_tenths) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        self.planned += o.planned;
        self.held += o.held;
    }

    /// Held ÷ planned × 100, in tenths.
    pub fn done_tenths(&self) -> Option<i64> {
        percent_tenths(self.held, self.planned)
    }
}

/// A subject of a class.
#[derive(Clone, Debug)]
pub struct SubjectLine {
    pub subject_id: i64,
    pub subject: String,
    pub hours: Hours,
}

#[derive(Clone, Debug)]
pub struct ClassLine {
    pub class_id: i64,
    pub label: String,
    pub grade: i16,
    pub profile: Option<String>,
    pub subjects: Vec<SubjectLine>,
    pub total: Hours,
}

/// A line of totals: a profile, a parallel.
#[derive(Clone, Debug)]
pub struct TotalLine {
    pub name: String,
    pub hours: Hours,
}

#[derive(Clone, Debug, Default)]
pub struct Programme {
    /// The day the figures are counted to.
    pub on_day: Option<NaiveDate>,
    /// Lagging groups first (most behind first), then on plan, then leading.
    pub groups: Vec<GroupLine>,
    /// Groups of the filter without a КТП: (group, «5А Математика — 5А»).
    pub without_plan: Vec<(i64, String)>,
    pub classes: Vec<ClassLine>,
    pub profiles: Vec<TotalLine>,
    pub grades: Vec<TotalLine>,
    pub school: Hours,
}

impl Programme {
    pub fn lagging(&self) -> usize {
        self.groups.iter().filter(|g| g.difference() < 0).count()
    }

    pub fn leading(&self) -> usize {
        self.groups.iter().filter(|g| g.difference() > 0).count()
    }

    /// The report as one table for CSV and XLSX, in the page's order: the groups, then each
    /// class's subjects and total, the profiles, the parallels and the school.
    pub fn table(&self, title: &str) -> Table {
        let mut t = Table {
            title: title.into(),
            columns: vec![
                Column::new("Разрез", Kind::Text),
                Column::new("Класс", Kind::Text),
                Column::new("Предмет", Kind::Text),
                Column::new("Группа", Kind::Text),
                Column::new("Учитель", Kind::Text),
                Column::new("Часов в неделю", Kind::Number),
                Column::new("Часов в КТП", Kind::Number),
                Column::new("По плану", Kind::Number),
                Column::new("Проведено", Kind::Number),
                Column::new("Отменено", Kind::Number),
                Column::new("Разница", Kind::Number),
                Column::new("Выполнение, %", Kind::Number),
                Column::new("Состояние", Kind::Text),
                Column::new("Тема по плану", Kind::Text),
                Column::new("Последняя записанная тема", Kind::Text),
            ],
            rows: Vec::new(),
            notes: Vec::new(),
        };
        for g in &self.groups {
            t.rows.push(vec![
                Cell::text("Группа"),
                Cell::text(&g.class_label),
                Cell::text(&g.subject),
                Cell::text(&g.group_name),
                Cell::text(&g.teachers),
                Cell::Empty,
                whole(g.plan_hours),
                whole(g.planned),
                whole(g.held),
                whole(g.cancelled),
                whole(g.difference()),
                fixed(g.done_tenths(), 1),
                Cell::text(g.state()),
                Cell::text(g.plan_topic_text()),
                Cell::text(g.written_topic_text()),
            ]);
        }
        let hours_row = |slice: &str, class: &str, subject: &str, h: &Hours| {
            vec![
                Cell::text(slice),
                Cell::text(class),
                Cell::text(subject),
                Cell::Empty,
                Cell::Empty,
                fixed(h.per_week_tenths, 1),
                Cell::Empty,
                whole(h.planned),
                whole(h.held),
                Cell::Empty,
                whole(h.held - h.planned),
                fixed(h.done_tenths(), 1),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ]
        };
        for c in &self.classes {
            for s in &c.subjects {
                t.rows
                    .push(hours_row("Предмет класса", &c.label, &s.subject, &s.hours));
            }
            t.rows.push(hours_row("Класс", &c.label, "", &c.total));
        }
        for p in &self.profiles {
            t.rows.push(hours_row("Профиль", &p.name, "", &p.hours));
        }
        for g in &self.grades {
            t.rows.push(hours_row("Параллель", &g.name, "", &g.hours));
        }
        t.rows.push(hours_row("Школа", "Итого", "", &self.school));
        t
    }
}

/// The report's day: the filter's last day, or today if that is earlier.
fn report_day(f: &Filter, today: NaiveDate) -> NaiveDate {
    f.to.min(today).max(f.from)
}

pub async fn report(
    pool: &PgPool,
    school: SchoolId,
    f: &Filter,
    today: NaiveDate,
) -> AppResult<Programme> {
    let last = report_day(f, today);
    // A range entirely in the future counts nothing held.
    let last_held = if f.from > today { None } else { Some(last) };
    // The teacher's EXISTS names the school by `$1`, not `g.school_id`: tied to the outer row
    // inside an OR, Citus saw every shard and its recursive planning crashed (docs/SCALE.md).
    let groups = sqlx::query!(
        r#"WITH grp AS (
               SELECT g.id, g.name, g.class_id, s.name AS subject
               FROM study_group g
               JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
               LEFT JOIN school_class gc ON gc.school_id = g.school_id AND gc.id = g.class_id
               WHERE g.school_id = $1 AND g.academic_year_id = $2
                 AND ($3::bigint IS NULL OR g.class_id = $3)
                 AND ($4::bigint IS NULL OR g.subject_id = $4)
                 AND (gc.grade IS NULL OR gc.grade BETWEEN $9 AND $10)
                 AND ($5::bigint IS NULL OR EXISTS (
                       SELECT 1 FROM teaching_assignment x
                       WHERE x.school_id = $1 AND x.group_id = g.id AND x.teacher_id = $5))
           )
           SELECT grp.id, grp.name, grp.subject,
                  coalesce(c.grade::text || c.letter, '') AS "class_label!",
                  c.grade AS "grade?", c.letter AS "letter?",
                  coalesce((SELECT string_agg(a.last_name || ' ' || left(a.first_name, 1) || '.'
                                     || CASE WHEN a.middle_name <> '' THEN ' ' || left(a.middle_name, 1) || '.' ELSE '' END,
                                     ', ' ORDER BY a.last_name, a.first_name)
                            FROM teaching_assignment t JOIN account a ON a.id = t.teacher_id
                            WHERE t.school_id = $1 AND t.group_id = grp.id), '') AS "teachers!",
                  coalesce(tp.hours, 0)::bigint AS "plan_hours!",
                  coalesce(n.planned, 0)::bigint AS "planned!",
                  coalesce(n.held, 0)::bigint AS "held!",
                  coalesce(n.cancelled, 0)::bigint AS "cancelled!",
                  p.planned_topic AS "plan_topic?",
                  (SELECT min(x.position) FROM theme_plan_topic x
                   WHERE x.school_id = $1 AND x.group_id = grp.id AND x.title = p.planned_topic) AS "plan_number?",
                  w.id AS "written_lesson?", w.topic AS "written_topic?",
                  (SELECT min(x.position) FROM theme_plan_topic x
                   WHERE x.school_id = $1 AND x.group_id = grp.id AND x.title = w.topic) AS "written_number?"
           FROM grp
           LEFT JOIN school_class c ON c.school_id = $1 AND c.id = grp.class_id
           LEFT JOIN LATERAL (SELECT sum(x.hours) AS hours FROM theme_plan_topic x
                              WHERE x.school_id = $1 AND x.group_id = grp.id) tp ON true
           LEFT JOIN LATERAL (
               SELECT count(*) FILTER (WHERE l.planned_topic IS NOT NULL AND l.status <> 'moved') AS planned,
                      count(*) FILTER (WHERE l.status IN ('scheduled', 'held') AND l.lesson_date <= $8) AS held,
                      count(*) FILTER (WHERE l.status = 'cancelled') AS cancelled
               FROM lesson l
               WHERE l.school_id = $1 AND l.group_id = grp.id AND l.lesson_date BETWEEN $6 AND $7) n ON true
           LEFT JOIN LATERAL (
               SELECT l.planned_topic FROM lesson l
               WHERE l.school_id = $1 AND l.group_id = grp.id AND l.lesson_date BETWEEN $6 AND $7
                 AND l.planned_topic IS NOT NULL AND l.status <> 'moved'
               ORDER BY l.lesson_date DESC, l.lesson_number DESC LIMIT 1) p ON true
           LEFT JOIN LATERAL (
               SELECT l.id, l.topic FROM lesson l
               WHERE l.school_id = $1 AND l.group_id = grp.id AND l.lesson_date BETWEEN $6 AND $8
                 AND l.status IN ('scheduled', 'held') AND btrim(coalesce(l.topic, '')) <> ''
               ORDER BY l.lesson_date DESC, l.lesson_number DESC LIMIT 1) w ON true
           ORDER BY c.grade NULLS LAST, c.letter, grp.subject, grp.name, grp.id"#,
        school.0,
        f.year_id,
        f.class_id,
        f.subject_id,
        f.teacher_id,
        f.from,
        last,
        last_held,
        f.grade_from,
        f.grade_to,
    )
    .fetch_all(pool)
    .await?;
    let mut report = Programme {
        on_day: Some(last),
        ..Programme::default()
    };
    for g in groups {
        if g.plan_hours == 0 {
            let label = format!("{} {} — {}", g.class_label, g.subject, g.name);
            report
                .without_plan
                .push((g.id, label.trim_start().to_string()));
            continue;
        }
        report.groups.push(GroupLine {
            group_id: g.id,
            class_label: g.class_label,
            subject: g.subject,
            group_name: g.name,
            teachers: g.teachers,
            plan_hours: g.plan_hours,
            planned: g.planned,
            held: g.held,
            cancelled: g.cancelled,
            plan_topic: g.plan_topic.map(|t| (g.plan_number, t)),
            written_topic: match (g.written_lesson, g.written_topic) {
                (Some(l), Some(t)) => Some((l, g.written_number, t)),
                _ => None,
            },
        });
    }
    // Lagging first (the most behind first); the query's order within the same difference.
    report.groups.sort_by_key(|g| g.difference());

    // The teacher's EXISTS names `$1` for Citus, as above.
    let lines = sqlx::query!(
        r#"WITH cls AS (
               SELECT c.id, c.grade, c.letter, c.profile FROM school_class c
               WHERE c.school_id = $1 AND c.academic_year_id = $2
                 AND ($3::bigint IS NULL OR c.id = $3) AND c.grade BETWEEN $9 AND $10
           ), grp AS (
               SELECT g.id, g.class_id, g.subject_id FROM study_group g
               JOIN cls ON cls.id = g.class_id
               WHERE g.school_id = $1 AND g.academic_year_id = $2
                 AND ($4::bigint IS NULL OR g.subject_id = $4)
                 AND ($5::bigint IS NULL OR EXISTS (
                       SELECT 1 FROM teaching_assignment x
                       WHERE x.school_id = $1 AND x.group_id = g.id AND x.teacher_id = $5))
           ), slots AS (
               SELECT grp.class_id, grp.subject_id, l.lesson_date, l.lesson_number,
                      bool_or(l.status IN ('scheduled', 'held') AND l.lesson_date <= $8) AS held
               FROM grp
               JOIN lesson l ON l.school_id = $1 AND l.group_id = grp.id
                AND l.lesson_date BETWEEN $6 AND $7 AND l.status <> 'moved'
               GROUP BY grp.class_id, grp.subject_id, l.lesson_date, l.lesson_number
           ), per AS (
               SELECT class_id, subject_id, count(*) AS planned, count(*) FILTER (WHERE held) AS held
               FROM slots GROUP BY class_id, subject_id
           ), cur AS (
               SELECT cl.class_id, cl.subject_id, cl.hours_per_week FROM curriculum_line cl
               JOIN cls ON cls.id = cl.class_id
               WHERE cl.school_id = $1 AND ($4::bigint IS NULL OR cl.subject_id = $4)
           ), keys AS (
               SELECT class_id, subject_id FROM per
               UNION
               SELECT class_id, subject_id FROM cur WHERE $5::bigint IS NULL
           )
           SELECT cls.id AS class_id, cls.grade, cls.grade::text || cls.letter AS "class_label!",
                  cls.profile, s.id AS subject_id, s.name AS subject,
                  (cur.hours_per_week * 10)::bigint AS "per_week_tenths?",
                  coalesce(per.planned, 0)::bigint AS "planned!",
                  coalesce(per.held, 0)::bigint AS "held!"
           FROM keys
           JOIN cls ON cls.id = keys.class_id
           JOIN subject s ON s.school_id = $1 AND s.id = keys.subject_id
           LEFT JOIN per ON per.class_id = keys.class_id AND per.subject_id = keys.subject_id
           LEFT JOIN cur ON cur.class_id = keys.class_id AND cur.subject_id = keys.subject_id
           ORDER BY cls.grade, cls.letter, s.name, s.id"#,
        school.0,
        f.year_id,
        f.class_id,
        f.subject_id,
        f.teacher_id,
        f.from,
        last,
        last_held,
        f.grade_from,
        f.grade_to,
    )
    .fetch_all(pool)
    .await?;
    let mut profiles: BTreeMap<String, Hours> = BTreeMap::new();
    let mut grades: BTreeMap<i16, Hours> = BTreeMap::new();
    for r in lines {
        let hours = Hours {
            per_week_tenths: r.per_week_tenths,
            planned: r.planned,
            held: r.held,
        };
        if report
            .classes
            .last()
            .is_none_or(|c| c.class_id != r.class_id)
        {
            report.classes.push(ClassLine {
                class_id: r.class_id,
                label: r.class_label.clone(),
                grade: r.grade,
                profile: r.profile.clone().filter(|p| !p.trim().is_empty()),
                subjects: Vec::new(),
                total: Hours::default(),
            });
        }
        if let Some(c) = report.classes.last_mut() {
            c.total.add(&hours);
            c.subjects.push(SubjectLine {
                subject_id: r.subject_id,
                subject: r.subject,
                hours,
            });
        }
        report.school.add(&hours);
        grades.entry(r.grade).or_default().add(&hours);
        if let Some(p) = r.profile.filter(|p| !p.trim().is_empty()) {
            profiles.entry(p).or_default().add(&hours);
        }
    }
    report.profiles = profiles
        .into_iter()
        .map(|(name, hours)| TotalLine {
            name: format!("профиль «{name}»"),
            hours,
        })
        .collect();
    report.grades = grades
        .into_iter()
        .map(|(g, hours)| TotalLine {
            name: format!("{g}-е классы"),
            hours,
        })
        .collect();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(planned: i64, held: i64) -> GroupLine {
        GroupLine {
            group_id: 1,
            class_label: "5А".into(),
            subject: "Математика".into(),
            group_name: "5А".into(),
            teachers: String::new(),
            plan_hours: 30,
            planned,
            held,
            cancelled: 0,
            plan_topic: Some((Some(4), "Дроби".into())),
            written_topic: None,
        }
    }

    #[test]
    fn a_group_lags_or_leads_by_the_lessons_held_against_the_plan() {
        assert_eq!(line(10, 8).state(), "отстаёт на 2 ч");
        assert_eq!(line(10, 12).state(), "опережает на 2 ч");
        assert_eq!(line(10, 10).state(), "по плану");
        assert_eq!(line(3, 2).done_tenths(), Some(667));
        assert_eq!(line(10, 8).plan_topic_text(), "4. Дроби");
    }

    #[test]
    fn hours_add_up_and_the_curriculum_hours_stay_empty_only_when_none_is_known() {
        let mut h = Hours::default();
        h.add(&Hours {
            per_week_tenths: None,
            planned: 4,
            held: 3,
        });
        assert_eq!(h.per_week_tenths, None);
        h.add(&Hours {
            per_week_tenths: Some(15),
            planned: 2,
            held: 2,
        });
        assert_eq!((h.per_week_tenths, h.planned, h.held), (Some(15), 6, 5));
        assert_eq!(h.done_tenths(), Some(833));
    }
}
