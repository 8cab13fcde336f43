//! The accumulation report (regulations §5, J11): per journal, the pupils with fewer marks than
//! the rule needs on the filter's last day (or today, if the range ends later), with the rule's
//! numbers — hours a week, full weeks of the current period counted, marks needed, marks given.
//! The facts and the rule are the journal page's (`journal::accumulation`): seven set-based
//! queries for the whole school, the pure rule applied in memory.

use chrono::NaiveDate;
use sqlx::PgPool;

use super::{Filter, whole};
use crate::error::AppResult;
use crate::exports::table::{Cell, Column, Kind, Table};
use crate::journal::accumulation::{self, Selection};
use crate::tenancy::SchoolId;

/// A pupil short of marks.
#[derive(Clone, Debug)]
pub struct ShortPupil {
    pub pupil_id: i64,
    pub name: String,
    /// Marks needed by now: the rule's number, never more than the lessons the pupil attended.
    pub required: i64,
    pub has: i64,
}

/// A journal with pupils short of marks.
#[derive(Clone, Debug)]
pub struct Line {
    pub group_id: i64,
    pub class_name: String,
    pub subject: String,
    pub group_name: String,
    pub teachers: String,
    pub hours: i64,
    pub weeks: i64,
    /// The rule's marks by now for a pupil who attended enough lessons.
    pub required: i64,
    /// Marks a period mark needs.
    pub min_marks: i64,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// Pupils of the journal counted.
    pub pupils: i64,
    pub short: Vec<ShortPupil>,
}

#[derive(Clone, Debug, Default)]
pub struct Accumulation {
    /// The day the rule is applied on.
    pub day: Option<NaiveDate>,
    /// Journals with pupils short of marks, the most such pupils first.
    pub lines: Vec<Line>,
    /// Journals checked (with a period containing the day).
    pub journals: i64,
    /// Pupils checked, counted once per journal.
    pub pupils: i64,
    /// Pupils short of marks, counted once per journal.
    pub short: i64,
}

impl Accumulation {
    pub fn table(&self, title: &str) -> Table {
        let mut t = Table {
            title: title.into(),
            columns: vec![
                Column::new("Разрез", Kind::Text),
                Column::new("Класс", Kind::Text),
                Column::new("Журнал", Kind::Text),
                Column::new("Учитель", Kind::Text),
                Column::new("Обучающийся", Kind::Text),
                Column::new("Часов в неделю", Kind::Number),
                Column::new("Недель учтено", Kind::Number),
                Column::new("Нужно отметок", Kind::Number),
                Column::new("Есть отметок", Kind::Number),
                Column::new("Обучающихся", Kind::Number),
                Column::new("Без достаточного числа отметок", Kind::Number),
            ],
            rows: Vec::new(),
            notes: Vec::new(),
        };
        for l in &self.lines {
            let journal = format!("{} ({})", l.subject, l.group_name);
            t.rows.push(vec![
                Cell::text("Журнал"),
                Cell::text(&l.class_name),
                Cell::text(&journal),
                Cell::text(&l.teachers),
                Cell::Empty,
                whole(l.hours),
                whole(l.weeks),
                whole(l.required),
                Cell::Empty,
                whole(l.pupils),
                whole(l.short.len() as i64),
            ]);
            for p in &l.short {
                t.rows.push(vec![
                    Cell::text("Обучающийся"),
                    Cell::text(&l.class_name),
                    Cell::text(&journal),
                    Cell::text(&l.teachers),
                    Cell::text(&p.name),
                    whole(l.hours),
                    whole(l.weeks),
                    whole(p.required),
                    whole(p.has),
                    Cell::Empty,
                    Cell::Empty,
                ]);
            }
        }
        t.rows.push(vec![
            Cell::text("Школа"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            whole(self.pupils),
            whole(self.short),
        ]);
        t
    }
}

pub async fn report(
    pool: &PgPool,
    school: SchoolId,
    f: &Filter,
    today: NaiveDate,
) -> AppResult<Accumulation> {
    let day = f.to.min(today).max(f.from);
    let selection = Selection {
        year_id: Some(f.year_id),
        class_id: f.class_id,
        subject_id: f.subject_id,
        teacher_id: f.teacher_id,
    };
    let journals = accumulation::journals(pool, school, selection, day).await?;
    let mut report = Accumulation {
        day: Some(day),
        ..Accumulation::default()
    };
    for j in journals {
        report.journals += 1;
        report.pupils += j.pupils.len() as i64;
        let short: Vec<ShortPupil> = j
            .pupils
            .iter()
            .filter(|p| p.short())
            .filter_map(|p| {
                p.gap.as_ref().map(|g| ShortPupil {
                    pupil_id: p.pupil_id,
                    name: p.name.clone(),
                    required: g.required,
                    has: g.has,
                })
            })
            .collect();
        if short.is_empty() {
            continue;
        }
        report.short += short.len() as i64;
        report.lines.push(Line {
            group_id: j.group_id,
            class_name: j.class_name,
            subject: j.subject,
            group_name: j.group_name,
            teachers: j.teachers,
            hours: j.hours,
            weeks: j.weeks,
            required: j.required,
            min_marks: j.min_marks,
            period_from: j.period.starts_on,
            period_to: j.period.ends_on,
            pupils: j.pupils.len() as i64,
            short,
        });
    }
    // The most pupils short first; the journals' order (class, subject) otherwise.
    report
        .lines
        .sort_by_key(|l| std::cmp::Reverse(l.short.len()));
    Ok(report)
}
