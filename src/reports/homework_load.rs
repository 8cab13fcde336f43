//! The homework load (regulations §5: «the homework section and the homework load for the pupils'
//! age»): minutes of homework a class has for each day against the age limits of the sanitary
//! rules (СанПиН 1.2.3685-21), which are school settings (`tenancy::settings`), in two queries
//! whatever the school's size.
//!
//! The day of a homework is the day it is due — the date of the group's next lesson that takes
//! place (not cancelled, not moved), as the diary shows it («к 17.11»): the pupil does it for that
//! day. A class's minutes for a day are those of its most loaded pupil (a pupil counts the
//! homework of the groups they are in that day — subgroups and electives differ); homework
//! without minutes is counted apart («без оценки времени»), never as zero. The subject and
//! teacher filters do not apply: the limit is for all of a day's homework.

use chrono::NaiveDate;
use sqlx::PgPool;

use super::{Filter, whole};
use crate::error::AppResult;
use crate::exports::table::{Cell, Column, Kind, Table};
use crate::tenancy::SchoolId;
use crate::tenancy::settings::Settings;

/// One day of a class with homework due.
#[derive(Clone, Debug)]
pub struct Day {
    pub class_id: i64,
    pub class_label: String,
    pub date: NaiveDate,
    /// The most loaded pupil's minutes (homework with minutes only).
    pub minutes: i64,
    pub limit: i64,
    /// Homework due that day without minutes.
    pub unrated: i64,
}

impl Day {
    pub fn over(&self) -> i64 {
        self.minutes - self.limit
    }
}

#[derive(Clone, Debug)]
pub struct ClassLine {
    pub class_id: i64,
    pub label: String,
    pub grade: i16,
    pub limit: i64,
    /// Days with homework due.
    pub days: i64,
    /// The largest minutes of a day.
    pub max_minutes: i64,
    pub days_over: i64,
    pub unrated: i64,
}

#[derive(Clone, Debug, Default)]
pub struct HomeworkLoad {
    pub classes: Vec<ClassLine>,
    /// The days over the limit, the worst (most minutes over) first.
    pub over: Vec<Day>,
    pub days_over: i64,
    pub unrated: i64,
}

impl HomeworkLoad {
    /// The report as one table for CSV and XLSX: classes, then the days over the limit.
    pub fn table(&self, title: &str) -> Table {
        let mut t = Table {
            title: title.into(),
            columns: vec![
                Column::new("Строка", Kind::Text),
                Column::new("Класс", Kind::Text),
                Column::new("Дата", Kind::Date),
                Column::new("Норма, мин", Kind::Number),
                Column::new("Дней с заданиями", Kind::Number),
                Column::new("Наибольшая нагрузка, мин", Kind::Number),
                Column::new("Дней сверх нормы", Kind::Number),
                Column::new("Заданий без оценки времени", Kind::Number),
                Column::new("Нагрузка, мин", Kind::Number),
                Column::new("Сверх нормы, мин", Kind::Number),
            ],
            rows: Vec::new(),
            notes: Vec::new(),
        };
        for c in &self.classes {
            t.rows.push(vec![
                Cell::text("Класс"),
                Cell::text(&c.label),
                Cell::Empty,
                whole(c.limit),
                whole(c.days),
                whole(c.max_minutes),
                whole(c.days_over),
                whole(c.unrated),
                Cell::Empty,
                Cell::Empty,
            ]);
        }
        for d in &self.over {
            t.rows.push(vec![
                Cell::text("День сверх нормы"),
                Cell::text(&d.class_label),
                Cell::Date(d.date),
                whole(d.limit),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                whole(d.unrated),
                whole(d.minutes),
                whole(d.over()),
            ]);
        }
        t.rows.push(vec![
            Cell::text("Школа"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            whole(self.days_over),
            whole(self.unrated),
            Cell::Empty,
            Cell::Empty,
        ]);
        t
    }
}

pub async fn report(
    pool: &PgPool,
    school: SchoolId,
    f: &Filter,
    settings: &Settings,
) -> AppResult<HomeworkLoad> {
    let classes = sqlx::query!(
        r#"SELECT id, grade, grade::text || letter AS "label!" FROM school_class
           WHERE school_id = $1 AND academic_year_id = $2 AND ($3::bigint IS NULL OR id = $3)
           ORDER BY grade, letter"#,
        school.0,
        f.year_id,
        f.class_id
    )
    .fetch_all(pool)
    .await?;
    // The lessons that can set homework due in the range: those of the range and each group's
    // last one before it; the next lesson of the group is the day it is due.
    let days = sqlx::query!(
        r#"WITH groups AS (
               SELECT g.id FROM study_group g WHERE g.school_id = $1 AND g.academic_year_id = $2
           ), setting AS (
               SELECT l.id, l.group_id, l.lesson_date, l.lesson_number,
                      l.homework IS NOT NULL AS has_homework, l.homework_minutes
               FROM lesson l JOIN groups g ON g.id = l.group_id
               WHERE l.school_id = $1 AND l.lesson_date BETWEEN $3 AND $4
                 AND l.status NOT IN ('moved', 'cancelled')
               UNION ALL
               SELECT b.id, b.group_id, b.lesson_date, b.lesson_number,
                      b.homework IS NOT NULL, b.homework_minutes
               FROM groups g CROSS JOIN LATERAL (
                   SELECT l.id, l.group_id, l.lesson_date, l.lesson_number, l.homework,
                          l.homework_minutes
                   FROM lesson l
                   WHERE l.school_id = $1 AND l.group_id = g.id AND l.lesson_date < $3
                     AND l.status NOT IN ('moved', 'cancelled')
                   ORDER BY l.lesson_date DESC, l.lesson_number DESC LIMIT 1) b
           ), due AS (
               SELECT id, group_id, has_homework, homework_minutes,
                      lead(lesson_date) OVER (PARTITION BY group_id
                                              ORDER BY lesson_date, lesson_number) AS due_on
               FROM setting
           ), member AS (
               SELECT gp.group_id, gp.pupil_id, c.id AS class_id,
                      greatest(gp.starts_on, e.starts_on) AS starts_on,
                      least(coalesce(gp.ends_on, 'infinity'), coalesce(e.ends_on, 'infinity')) AS ends_on
               FROM group_pupil gp
               JOIN class_enrollment e ON e.school_id = gp.school_id AND e.pupil_id = gp.pupil_id
               JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
                AND c.academic_year_id = $2
               WHERE gp.school_id = $1 AND gp.group_id IN (SELECT id FROM groups)
                 AND ($5::bigint IS NULL OR c.id = $5)
           ), kind AS (
               -- Pupils of a class in the same groups over the same dates have the same
               -- homework: one «kind» stands for them all (a class is two or three kinds,
               -- not thirty pupils), and the busiest pupil's day is the busiest kind's.
               SELECT class_id, row_number() OVER () AS kind_id, groups, starts, ends
               FROM (SELECT DISTINCT class_id, groups, starts, ends
                     FROM (SELECT class_id, pupil_id,
                                  array_agg(group_id ORDER BY group_id, starts_on) AS groups,
                                  array_agg(starts_on ORDER BY group_id, starts_on) AS starts,
                                  array_agg(ends_on ORDER BY group_id, starts_on) AS ends
                           FROM member GROUP BY class_id, pupil_id) p) k
           ), kind_member AS (
               SELECT k.class_id, k.kind_id, u.group_id, u.starts_on, u.ends_on
               FROM kind k CROSS JOIN LATERAL unnest(k.groups, k.starts, k.ends)
                    AS u(group_id, starts_on, ends_on)
           ), entries AS (
               SELECT m.class_id, m.kind_id, d.due_on, d.id AS lesson_id, d.homework_minutes
               FROM due d
               JOIN kind_member m ON m.group_id = d.group_id AND d.due_on BETWEEN m.starts_on AND m.ends_on
               WHERE d.has_homework AND d.due_on BETWEEN $3 AND $4
           ), kind_day AS (
               SELECT class_id, due_on, kind_id, coalesce(sum(homework_minutes), 0) AS minutes
               FROM entries GROUP BY class_id, due_on, kind_id
           ), unrated AS (
               SELECT class_id, due_on, count(DISTINCT lesson_id) AS unrated
               FROM entries WHERE homework_minutes IS NULL GROUP BY class_id, due_on
           )
           SELECT pd.class_id, pd.due_on AS "due_on!", coalesce(max(u.unrated), 0) AS "unrated!",
                  max(pd.minutes)::bigint AS "minutes!"
           FROM kind_day pd
           LEFT JOIN unrated u ON u.class_id = pd.class_id AND u.due_on = pd.due_on
           GROUP BY pd.class_id, pd.due_on
           ORDER BY pd.class_id, pd.due_on"#,
        school.0,
        f.year_id,
        f.from,
        f.to,
        f.class_id
    )
    .fetch_all(pool)
    .await?;
    let mut report = HomeworkLoad::default();
    for c in classes {
        let limit = i64::from(settings.homework_limit(c.grade));
        let mut line = ClassLine {
            class_id: c.id,
            label: c.label,
            grade: c.grade,
            limit,
            days: 0,
            max_minutes: 0,
            days_over: 0,
            unrated: 0,
        };
        for d in days.iter().filter(|d| d.class_id == c.id) {
            line.days += 1;
            line.max_minutes = line.max_minutes.max(d.minutes);
            line.unrated += d.unrated;
            if d.minutes > limit {
                line.days_over += 1;
                report.over.push(Day {
                    class_id: c.id,
                    class_label: line.label.clone(),
                    date: d.due_on,
                    minutes: d.minutes,
                    limit,
                    unrated: d.unrated,
                });
            }
        }
        report.days_over += line.days_over;
        report.unrated += line.unrated;
        report.classes.push(line);
    }
    // The worst first: the most minutes over, then the earliest day.
    report
        .over
        .sort_by(|a, b| b.over().cmp(&a.over()).then(a.date.cmp(&b.date)));
    Ok(report)
}
