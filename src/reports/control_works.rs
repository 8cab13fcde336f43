//! Control works (ВШК, regulations §5): the schedule (`control_work`) of the filter's dates
//! against what was held, and the results per work, per class and for the school — in one query
//! whatever the school's size.
//!
//! A scheduled work is **held** when the group had a held lesson that day (not cancelled, not
//! moved away, not after today) with a mark column of a written work type (one with a checking
//! period, J4: контрольная, диктант, сочинение, …) holding at least one mark; of several such
//! columns the heaviest work type is the work (then the later column). Otherwise it is not held:
//! no lesson that day, or no marks for a written work, or still ahead.
//!
//! Results of a held work: on the list — the group's pupils that day; written — pupils with a mark
//! in the work's column; absent — pupils marked absent at that lesson; the marks 5, 4, 3, 2
//! (зачёт and незачёт apart); успеваемость and качество знаний with the definitions and rounding
//! of the progress report (`progress::Figures`): pupils written with 3, 4, 5 or зачёт / pupils
//! written × 100, with 4, 5 or зачёт / pupils written × 100, средний балл of the five-point marks.

use chrono::NaiveDate;
use sqlx::PgPool;

use super::progress::Figures;
use super::{Filter, fixed, whole};
use crate::error::AppResult;
use crate::exports::table::{Cell, Column, Kind, Table};
use crate::tenancy::SchoolId;

/// What became of a scheduled work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Held,
    /// The group had a lesson that day, but no marks for a written work.
    NoMarks,
    /// No lesson of the group that day (cancelled, moved or never there).
    NoLesson,
    /// The date is after today.
    Ahead,
}

impl State {
    pub fn show(self) -> &'static str {
        match self {
            State::Held => "проведена",
            State::NoMarks => "не проведена: нет отметок за письменную работу",
            State::NoLesson => "не проведена: урока в этот день не было",
            State::Ahead => "запланирована",
        }
    }
}

/// The marks of a work (or a sum of works).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Results {
    pub listed: i64,
    pub written: i64,
    pub absent: i64,
    /// Marks 2..=5 at their index.
    pub marks: [i64; 6],
    pub pass: i64,
    pub fail: i64,
}

impl Results {
    fn add(&mut self, o: &Results) {
        self.listed += o.listed;
        self.written += o.written;
        self.absent += o.absent;
        for m in 2..=5 {
            self.marks[m] += o.marks[m];
        }
        self.pass += o.pass;
        self.fail += o.fail;
    }

    /// The progress report's figures of these marks: each pupil written is one result.
    pub fn figures(&self) -> Figures {
        Figures {
            pupils: self.written,
            progressing: self.marks[3] + self.marks[4] + self.marks[5] + self.pass,
            quality: self.marks[4] + self.marks[5] + self.pass,
            points: (2..=5).map(|m| m as i64 * self.marks[m]).sum(),
            marks: self.marks[2..=5].iter().sum(),
            ..Figures::default()
        }
    }
}

#[derive(Clone, Debug)]
pub struct Work {
    pub id: i64,
    pub date: NaiveDate,
    pub class_id: Option<i64>,
    pub class_label: String,
    pub subject: String,
    pub group_id: i64,
    pub group_name: String,
    pub form: String,
    pub title: String,
    pub state: State,
    /// The lesson of the work (held or not), to open.
    pub lesson_id: Option<i64>,
    /// The work type of the column taken as the work.
    pub work_type: Option<String>,
    pub results: Results,
}

#[derive(Clone, Debug)]
pub struct ClassTotal {
    pub class_id: i64,
    pub label: String,
    pub scheduled: i64,
    pub held: i64,
    pub results: Results,
}

#[derive(Clone, Debug, Default)]
pub struct ControlWorks {
    pub works: Vec<Work>,
    pub classes: Vec<ClassTotal>,
    pub scheduled: i64,
    pub held: i64,
    pub not_held: i64,
    pub ahead: i64,
    pub school: Results,
}

fn pct(v: Option<i64>) -> Cell {
    fixed(v, 1)
}

impl ControlWorks {
    /// The report as one table for CSV and XLSX: the works, the classes, the school.
    pub fn table(&self, title: &str) -> Table {
        let mut t = Table {
            title: title.into(),
            columns: vec![
                Column::new("Разрез", Kind::Text),
                Column::new("Дата", Kind::Date),
                Column::new("Класс", Kind::Text),
                Column::new("Предмет", Kind::Text),
                Column::new("Группа", Kind::Text),
                Column::new("Форма", Kind::Text),
                Column::new("Состояние", Kind::Text),
                Column::new("Работ по графику", Kind::Number),
                Column::new("Проведено", Kind::Number),
                Column::new("По списку", Kind::Number),
                Column::new("Писали", Kind::Number),
                Column::new("Отсутствовали", Kind::Number),
                Column::new("«5»", Kind::Number),
                Column::new("«4»", Kind::Number),
                Column::new("«3»", Kind::Number),
                Column::new("«2»", Kind::Number),
                Column::new("Успеваемость, %", Kind::Number),
                Column::new("Качество знаний, %", Kind::Number),
                Column::new("Средний балл", Kind::Number),
            ],
            rows: Vec::new(),
            notes: Vec::new(),
        };
        let figures = |r: &Results, shown: bool| -> Vec<Cell> {
            if !shown {
                return vec![Cell::Empty; 10];
            }
            let f = r.figures();
            vec![
                whole(r.listed),
                whole(r.written),
                whole(r.absent),
                whole(r.marks[5]),
                whole(r.marks[4]),
                whole(r.marks[3]),
                whole(r.marks[2]),
                pct(f.progress_tenths()),
                pct(f.quality_tenths()),
                fixed(f.average_hundredths(), 2),
            ]
        };
        for w in &self.works {
            let form = if w.title.is_empty() {
                w.form.clone()
            } else {
                format!("{} «{}»", w.form, w.title)
            };
            let mut row = vec![
                Cell::text("Работа"),
                Cell::Date(w.date),
                Cell::text(&w.class_label),
                Cell::text(&w.subject),
                Cell::text(&w.group_name),
                Cell::text(form),
                Cell::text(w.state.show()),
                Cell::Empty,
                Cell::Empty,
            ];
            row.extend(figures(&w.results, w.state == State::Held));
            t.rows.push(row);
        }
        let total = |slice: &str, label: &str, scheduled: i64, held: i64, r: &Results| {
            let mut row = vec![
                Cell::text(slice),
                Cell::Empty,
                Cell::text(label),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                whole(scheduled),
                whole(held),
            ];
            row.extend(figures(r, true));
            row
        };
        for c in &self.classes {
            t.rows
                .push(total("Класс", &c.label, c.scheduled, c.held, &c.results));
        }
        t.rows.push(total(
            "Школа",
            "Итого",
            self.scheduled,
            self.held,
            &self.school,
        ));
        t
    }
}

pub async fn report(
    pool: &PgPool,
    school: SchoolId,
    f: &Filter,
    today: NaiveDate,
) -> AppResult<ControlWorks> {
    // The teacher's EXISTS names the school by `$1`, not `g.school_id`: tied to the outer row
    // inside an OR, Citus saw every shard and did not route the statement (docs/SCALE.md).
    let rows = sqlx::query!(
        r#"WITH w AS (
               SELECT cw.id, cw.group_id, cw.work_date, cw.form, cw.title, g.name AS group_name,
                      s.name AS subject, c.id AS class_id, c.grade, c.letter
               FROM control_work cw
               JOIN study_group g ON g.school_id = cw.school_id AND g.id = cw.group_id
               JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
               LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
               WHERE cw.school_id = $1 AND g.academic_year_id = $2
                 AND cw.work_date BETWEEN $3 AND $4
                 AND ($5::bigint IS NULL OR g.class_id = $5)
                 AND (c.grade IS NULL OR c.grade BETWEEN $9 AND $10)
                 AND ($6::bigint IS NULL OR g.subject_id = $6)
                 AND ($7::bigint IS NULL OR EXISTS (
                       SELECT 1 FROM teaching_assignment x
                       WHERE x.school_id = $1 AND x.group_id = g.id AND x.teacher_id = $7))
           ), les AS (
               SELECT w.id AS work_id, l.id AS lesson_id, l.lesson_number
               FROM w JOIN lesson l ON l.school_id = $1 AND l.group_id = w.group_id
                AND l.lesson_date = w.work_date AND l.status IN ('scheduled', 'held')
               WHERE w.work_date <= $8
           ), col AS (
               SELECT DISTINCT ON (les.work_id) les.work_id, les.lesson_id, mc.id AS column_id,
                      wt.name AS work_type
               FROM les
               JOIN mark_column mc ON mc.school_id = $1 AND mc.lesson_id = les.lesson_id
               JOIN work_type wt ON wt.school_id = mc.school_id AND wt.id = mc.work_type_id
               WHERE wt.checking_days > 0
                 AND EXISTS (SELECT 1 FROM mark m WHERE m.school_id = $1 AND m.column_id = mc.id
                               AND m.value IS NOT NULL)
               ORDER BY les.work_id, wt.weight DESC, mc.position DESC
           ), first_lesson AS (
               SELECT DISTINCT ON (work_id) work_id, lesson_id FROM les
               ORDER BY work_id, lesson_number
           )
           SELECT w.id, w.work_date, w.form, w.title, w.group_id, w.group_name, w.subject,
                  w.class_id AS "class_id?", coalesce(w.grade::text || w.letter, '') AS "class_label!",
                  coalesce(col.lesson_id, fl.lesson_id) AS "lesson_id?",
                  col.column_id AS "column_id?", col.work_type AS "work_type?",
                  (SELECT count(*) FROM group_pupil gp
                   WHERE gp.school_id = $1 AND gp.group_id = w.group_id AND gp.starts_on <= w.work_date
                     AND (gp.ends_on IS NULL OR gp.ends_on >= w.work_date)) AS "listed!",
                  (SELECT count(*) FROM absence a
                   WHERE a.school_id = $1
                     -- CASE, not coalesce: an index condition behind the school wall.
                     AND a.lesson_id = CASE WHEN col.lesson_id IS NOT NULL THEN col.lesson_id
                                            ELSE fl.lesson_id END
                     AND a.absent) AS "absent!",
                  m.m5 AS "m5!", m.m4 AS "m4!", m.m3 AS "m3!", m.m2 AS "m2!",
                  m.pass AS "pass!", m.fail AS "fail!", m.written AS "written!"
           FROM w
           LEFT JOIN col ON col.work_id = w.id
           LEFT JOIN first_lesson fl ON fl.work_id = w.id
           LEFT JOIN LATERAL (
               SELECT count(*) FILTER (WHERE x.value = '5') AS m5,
                      count(*) FILTER (WHERE x.value = '4') AS m4,
                      count(*) FILTER (WHERE x.value = '3') AS m3,
                      count(*) FILTER (WHERE x.value = '2') AS m2,
                      count(*) FILTER (WHERE x.value = 'pass') AS pass,
                      count(*) FILTER (WHERE x.value = 'fail') AS fail,
                      count(*) AS written
               FROM mark x
               WHERE x.school_id = $1 AND x.column_id = col.column_id AND x.value IS NOT NULL) m ON true
           ORDER BY w.work_date, w.grade NULLS LAST, w.letter, w.subject, w.group_name, w.id"#,
        school.0,
        f.year_id,
        f.from,
        f.to,
        f.class_id,
        f.subject_id,
        f.teacher_id,
        today,
        f.grade_from,
        f.grade_to,
    )
    .fetch_all(pool)
    .await?;
    let mut report = ControlWorks::default();
    let mut classes: Vec<ClassTotal> = Vec::new();
    for r in rows {
        let state = if r.column_id.is_some() {
            State::Held
        } else if r.work_date > today {
            State::Ahead
        } else if r.lesson_id.is_some() {
            State::NoMarks
        } else {
            State::NoLesson
        };
        let results = if state == State::Held {
            let mut marks = [0; 6];
            marks[5] = r.m5;
            marks[4] = r.m4;
            marks[3] = r.m3;
            marks[2] = r.m2;
            Results {
                listed: r.listed,
                written: r.written,
                absent: r.absent,
                marks,
                pass: r.pass,
                fail: r.fail,
            }
        } else {
            Results::default()
        };
        report.scheduled += 1;
        match state {
            State::Held => report.held += 1,
            State::Ahead => report.ahead += 1,
            State::NoMarks | State::NoLesson => report.not_held += 1,
        }
        report.school.add(&results);
        if let Some(class_id) = r.class_id {
            let i = match classes.iter().position(|c| c.class_id == class_id) {
                Some(i) => i,
                None => {
                    classes.push(ClassTotal {
                        class_id,
                        label: r.class_label.clone(),
                        scheduled: 0,
                        held: 0,
                        results: Results::default(),
                    });
                    classes.len() - 1
                }
            };
            let c = &mut classes[i];
            c.scheduled += 1;
            c.held += i64::from(state == State::Held);
            c.results.add(&results);
        }
        report.works.push(Work {
            id: r.id,
            date: r.work_date,
            class_id: r.class_id,
            class_label: r.class_label,
            subject: r.subject,
            group_id: r.group_id,
            group_name: r.group_name,
            form: r.form,
            title: r.title,
            state,
            lesson_id: r.lesson_id,
            work_type: r.work_type,
            results,
        });
    }
    // Classes in the order of grade and letter, as the label sorts within a grade.
    classes.sort_by(|a, b| {
        let key = |c: &ClassTotal| {
            let digits: String = c.label.chars().take_while(|c| c.is_ascii_digit()).collect();
            (digits.parse::<i32>().unwrap_or(0), c.label.clone())
        };
        key(a).cmp(&key(b))
    });
    report.classes = classes;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_works_figures_are_the_progress_reports_over_the_pupils_who_wrote() {
        let r = Results {
            listed: 5,
            written: 4,
            absent: 1,
            marks: [0, 0, 1, 1, 1, 1],
            pass: 0,
            fail: 0,
        };
        let f = r.figures();
        assert_eq!(f.progress_tenths(), Some(750));
        assert_eq!(f.quality_tenths(), Some(500));
        // 5 + 4 + 3 + 2 = 14 / 4 = 3,5.
        assert_eq!(f.average_hundredths(), Some(350));
        assert_eq!(Results::default().figures().progress_tenths(), None);
    }
}
