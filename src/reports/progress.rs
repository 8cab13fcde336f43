//! The progress and quality report (regulations §5): per class, parallel, subject, teacher and the
//! school, in four queries whatever the school's size (pupils, groups with teachers, the work
//! types' weights, results), tallied in memory (`tally`, pure).
//!
//! A pupil's result in a subject is the period mark of the chosen period, or — for a date range —
//! the current marks of the range as the period-mark column proposes them (`rules::journal::suggest`
//! without the accumulation minimum: the weighted average rounded half up; зачёт/незачёт by
//! majority). Figures (docs/DOMAIN.md, «Reports»):
//! - pupils: pupils of the slice with at least one result other than ОСВ;
//! - успеваемость: pupils with every result 3, 4, 5 or зачёт / pupils × 100 (Н/А and незачёт count
//!   as not progressing);
//! - качество знаний: pupils with every result 4, 5 or зачёт / pupils × 100;
//! - средний балл: the mean of the five-point results;
//! - ОСВ (exempt): the subject is left out for that pupil, counted apart.

use std::collections::{BTreeMap, HashMap};

use sqlx::PgPool;

use super::{Filter, percent_tenths};
use super::{fixed, whole};
use crate::error::AppResult;
use crate::exports::table::{Cell, Column, Kind, Table};
use crate::tenancy::SchoolId;

/// A pupil counted by the report, with their class on the filter's day.
#[derive(Clone, Debug)]
pub struct PupilRow {
    pub id: i64,
    pub name: String,
    pub class_id: i64,
    pub class_label: String,
    pub grade: i16,
}

/// A study group of the year: its subject and teachers.
#[derive(Clone, Debug)]
pub struct GroupRow {
    pub id: i64,
    pub subject_id: i64,
    pub subject: String,
    pub teachers: Vec<(i64, String)>,
}

/// One result of a pupil in a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Result {
    Mark(i64),
    Pass,
    Fail,
    NotAttested,
    Exempt,
}

impl Result {
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "5" => Result::Mark(5),
            "4" => Result::Mark(4),
            "3" => Result::Mark(3),
            "2" => Result::Mark(2),
            "pass" => Result::Pass,
            "fail" => Result::Fail,
            "na" => Result::NotAttested,
            "exempt" => Result::Exempt,
            _ => return None,
        })
    }

    pub fn show(self) -> String {
        match self {
            Result::Mark(m) => m.to_string(),
            Result::Pass => "зачёт".into(),
            Result::Fail => "незачёт".into(),
            Result::NotAttested => "Н/А".into(),
            Result::Exempt => "ОСВ".into(),
        }
    }
}

/// A pupil's results within one slice (a class, a subject, …).
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    marks: [i64; 6],
    pass: i64,
    fail: i64,
    not_attested: i64,
    exempt: i64,
}

impl Tally {
    fn add(&mut self, r: Result) {
        match r {
            Result::Mark(m) => self.marks[m.clamp(2, 5) as usize] += 1,
            Result::Pass => self.pass += 1,
            Result::Fail => self.fail += 1,
            Result::NotAttested => self.not_attested += 1,
            Result::Exempt => self.exempt += 1,
        }
    }
    fn counted(&self) -> bool {
        self.marks.iter().sum::<i64>() + self.pass + self.fail + self.not_attested > 0
    }
    fn failing(&self) -> bool {
        self.marks[2] + self.fail + self.not_attested > 0
    }
    fn progressing(&self) -> bool {
        self.counted() && !self.failing()
    }
    fn quality(&self) -> bool {
        self.progressing() && self.marks[3] == 0
    }
    fn excellent(&self) -> bool {
        self.quality() && self.marks[4] == 0 && self.marks[5] > 0
    }
    fn good(&self) -> bool {
        self.quality() && self.marks[4] > 0
    }
    fn one_three(&self) -> bool {
        self.progressing() && self.marks[3] == 1
    }
}

/// The figures of one slice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub pupils: i64,
    pub progressing: i64,
    pub quality: i64,
    pub excellent: i64,
    pub good: i64,
    pub one_three: i64,
    /// Pupils with a «2», a незачёт or a Н/А.
    pub failing: i64,
    /// Pupils with a Н/А.
    pub not_attested: i64,
    /// ОСВ results (pupil × subject), left out of the figures.
    pub exempt: i64,
    pub points: i64,
    pub marks: i64,
}

impl Figures {
    fn add(&mut self, t: &Tally) {
        self.exempt += t.exempt;
        if !t.counted() {
            return;
        }
        self.pupils += 1;
        self.progressing += i64::from(t.progressing());
        self.quality += i64::from(t.quality());
        self.excellent += i64::from(t.excellent());
        self.good += i64::from(t.good());
        self.one_three += i64::from(t.one_three());
        self.failing += i64::from(t.failing());
        self.not_attested += i64::from(t.not_attested > 0);
        self.points += (2..=5).map(|m| m as i64 * t.marks[m]).sum::<i64>();
        self.marks += t.marks[2..=5].iter().sum::<i64>();
    }

    /// Успеваемость in tenths of a per cent.
    pub fn progress_tenths(&self) -> Option<i64> {
        percent_tenths(self.progressing, self.pupils)
    }
    /// Качество знаний in tenths of a per cent.
    pub fn quality_tenths(&self) -> Option<i64> {
        percent_tenths(self.quality, self.pupils)
    }
    /// Средний балл in hundredths, rounded half up.
    pub fn average_hundredths(&self) -> Option<i64> {
        (self.marks > 0).then(|| (2 * 100 * self.points + self.marks).div_euclid(2 * self.marks))
    }
}

/// A line of a table: what it is, the id to drill down with, its figures.
#[derive(Clone, Debug)]
pub struct Line {
    pub id: i64,
    pub name: String,
    pub figures: Figures,
}

/// A pupil in one of the lists, with the subjects that put them there.
#[derive(Clone, Debug)]
pub struct ListPupil {
    pub pupil_id: i64,
    pub name: String,
    pub class_label: String,
    /// (subject, group — the journal to open —, the result shown).
    pub subjects: Vec<(String, i64, String)>,
}

#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub classes: Vec<Line>,
    pub grades: Vec<Line>,
    pub subjects: Vec<Line>,
    pub teachers: Vec<Line>,
    pub school: Figures,
    /// Pupils of the slice with no result at all.
    pub without_results: i64,
    pub excellent: Vec<ListPupil>,
    pub good: Vec<ListPupil>,
    pub one_three: Vec<ListPupil>,
    pub failing: Vec<ListPupil>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    Class(i64),
    Grade(i16),
    Subject(i64),
    Teacher(i64),
    School,
}

/// Tallies the results (`(pupil, group, result)`) of the pupils into the report. Pure.
pub fn tally(
    pupils: &[PupilRow],
    groups: &[GroupRow],
    results: &[(i64, i64, Result)],
    teacher_filter: Option<i64>,
) -> Progress {
    let pupil_of: HashMap<i64, &PupilRow> = pupils.iter().map(|p| (p.id, p)).collect();
    let group_of: HashMap<i64, &GroupRow> = groups.iter().map(|g| (g.id, g)).collect();
    let mut tallies: HashMap<(Key, i64), Tally> = HashMap::new();
    let mut per_pupil: BTreeMap<i64, Vec<(String, i64, Result)>> = BTreeMap::new();
    for &(pupil_id, group_id, result) in results {
        let (Some(p), Some(g)) = (pupil_of.get(&pupil_id), group_of.get(&group_id)) else {
            continue;
        };
        let mut keys = vec![
            Key::Class(p.class_id),
            Key::Grade(p.grade),
            Key::Subject(g.subject_id),
            Key::School,
        ];
        for (t, _) in &g.teachers {
            if teacher_filter.is_none_or(|f| f == *t) {
                keys.push(Key::Teacher(*t));
            }
        }
        for k in keys {
            tallies.entry((k, pupil_id)).or_default().add(result);
        }
        per_pupil
            .entry(pupil_id)
            .or_default()
            .push((g.subject.clone(), g.id, result));
    }
    // A pupil's subjects in the lists by name (the results come in no order).
    for subjects in per_pupil.values_mut() {
        subjects.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    }
    let mut figures: BTreeMap<Key, Figures> = BTreeMap::new();
    for ((key, _), t) in &tallies {
        figures.entry(*key).or_default().add(t);
    }
    let mut report = Progress {
        school: figures.get(&Key::School).copied().unwrap_or_default(),
        ..Progress::default()
    };
    // Classes and grades in the order of the pupils' classes (grade, letter from the query).
    let mut class_order: Vec<(i16, String, i64)> = pupils
        .iter()
        .map(|p| (p.grade, p.class_label.clone(), p.class_id))
        .collect();
    class_order.sort();
    class_order.dedup();
    for (grade, label, id) in &class_order {
        report.classes.push(Line {
            id: *id,
            name: label.clone(),
            figures: figures.get(&Key::Class(*id)).copied().unwrap_or_default(),
        });
        if report
            .grades
            .last()
            .is_none_or(|l| l.id != i64::from(*grade))
        {
            report.grades.push(Line {
                id: i64::from(*grade),
                name: format!("{grade}-е классы"),
                figures: figures
                    .get(&Key::Grade(*grade))
                    .copied()
                    .unwrap_or_default(),
            });
        }
    }
    let mut subjects: Vec<(String, i64)> = groups
        .iter()
        .map(|g| (g.subject.clone(), g.subject_id))
        .collect();
    subjects.sort();
    subjects.dedup();
    for (name, id) in subjects {
        if let Some(f) = figures.get(&Key::Subject(id)) {
            report.subjects.push(Line {
                id,
                name,
                figures: *f,
            });
        }
    }
    let mut teachers: Vec<(String, i64)> = groups
        .iter()
        .flat_map(|g| g.teachers.iter().map(|(id, n)| (n.clone(), *id)))
        .collect();
    teachers.sort();
    teachers.dedup();
    for (name, id) in teachers {
        if let Some(f) = figures.get(&Key::Teacher(id)) {
            report.teachers.push(Line {
                id,
                name,
                figures: *f,
            });
        }
    }
    report.without_results = pupils
        .iter()
        .filter(|p| {
            tallies
                .get(&(Key::School, p.id))
                .is_none_or(|t| !t.counted())
        })
        .count() as i64;
    let mut listed: Vec<&PupilRow> = pupils.iter().collect();
    listed.sort_by(|a, b| {
        (a.grade, &a.class_label, &a.name).cmp(&(b.grade, &b.class_label, &b.name))
    });
    for p in listed {
        let Some(t) = tallies.get(&(Key::School, p.id)) else {
            continue;
        };
        let results = per_pupil.get(&p.id).cloned().unwrap_or_default();
        let entry = |keep: &dyn Fn(Result) -> bool| ListPupil {
            pupil_id: p.id,
            name: p.name.clone(),
            class_label: p.class_label.clone(),
            subjects: results
                .iter()
                .filter(|(_, _, r)| keep(*r))
                .map(|(s, g, r)| (s.clone(), *g, r.show()))
                .collect(),
        };
        if t.excellent() {
            report.excellent.push(entry(&|_| false));
        } else if t.good() {
            report.good.push(entry(&|_| false));
        }
        if t.one_three() {
            report.one_three.push(entry(&|r| r == Result::Mark(3)));
        }
        if t.failing() {
            report.failing.push(entry(&|r| {
                matches!(r, Result::Mark(2) | Result::Fail | Result::NotAttested)
            }));
        }
    }
    report
}

impl Progress {
    /// Every table line of the page, in the page's order: (slice, name, figures).
    pub fn lines(&self) -> Vec<(&'static str, &str, &Figures)> {
        let mut out: Vec<(&'static str, &str, &Figures)> = Vec::new();
        out.extend(
            self.classes
                .iter()
                .map(|l| ("Класс", l.name.as_str(), &l.figures)),
        );
        out.extend(
            self.grades
                .iter()
                .map(|l| ("Параллель", l.name.as_str(), &l.figures)),
        );
        out.extend(
            self.subjects
                .iter()
                .map(|l| ("Предмет", l.name.as_str(), &l.figures)),
        );
        out.extend(
            self.teachers
                .iter()
                .map(|l| ("Учитель", l.name.as_str(), &l.figures)),
        );
        out.push(("Школа", "Итого", &self.school));
        out
    }

    /// The report as one table for CSV and XLSX: the same figures as the page.
    pub fn table(&self, title: &str) -> Table {
        let mut t = Table {
            title: title.into(),
            columns: vec![
                Column::new("Разрез", Kind::Text),
                Column::new("Название", Kind::Text),
                Column::new("Обучающихся", Kind::Number),
                Column::new("Успевают", Kind::Number),
                Column::new("Успеваемость, %", Kind::Number),
                Column::new("На «4» и «5»", Kind::Number),
                Column::new("Качество знаний, %", Kind::Number),
                Column::new("Средний балл", Kind::Number),
                Column::new("Отличники", Kind::Number),
                Column::new("Хорошисты", Kind::Number),
                Column::new("С одной «3»", Kind::Number),
                Column::new("С «2», незачётом или Н/А", Kind::Number),
                Column::new("С Н/А", Kind::Number),
                Column::new("ОСВ", Kind::Number),
            ],
            rows: Vec::new(),
            notes: Vec::new(),
        };
        for (slice, name, f) in self.lines() {
            t.rows.push(vec![
                Cell::text(slice),
                Cell::text(name),
                whole(f.pupils),
                whole(f.progressing),
                fixed(f.progress_tenths(), 1),
                whole(f.quality),
                fixed(f.quality_tenths(), 1),
                fixed(f.average_hundredths(), 2),
                whole(f.excellent),
                whole(f.good),
                whole(f.one_three),
                whole(f.failing),
                whole(f.not_attested),
                whole(f.exempt),
            ]);
        }
        t
    }
}

/// The pupils counted: enrolled on the filter's day in a class of the year (of the period's
/// grades), the class filter applied.
pub async fn pupils(pool: &PgPool, school: SchoolId, f: &Filter) -> AppResult<Vec<PupilRow>> {
    Ok(sqlx::query!(
        r#"SELECT p.id, p.last_name || ' ' || p.first_name AS "name!", c.id AS class_id, c.grade,
                  c.grade::text || c.letter AS "class_label!"
           FROM class_enrollment e
           JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
           JOIN pupil p ON p.school_id = e.school_id AND p.id = e.pupil_id
           WHERE e.school_id = $1 AND c.academic_year_id = $2
             AND e.starts_on <= $3 AND (e.ends_on IS NULL OR e.ends_on >= $3)
             AND c.grade BETWEEN $4 AND $5
             AND ($6::bigint IS NULL OR c.id = $6)
           ORDER BY c.grade, c.letter, p.last_name, p.first_name, p.id"#,
        school.0,
        f.year_id,
        f.on_day,
        f.grade_from,
        f.grade_to,
        f.class_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| PupilRow {
        id: r.id,
        name: r.name,
        class_id: r.class_id,
        class_label: r.class_label,
        grade: r.grade,
    })
    .collect())
}

/// The year's groups (the subject and teacher filters applied) with their teachers.
pub async fn groups(pool: &PgPool, school: SchoolId, f: &Filter) -> AppResult<Vec<GroupRow>> {
    // The teacher's EXISTS names the school by `$1`, not `g.school_id`, so that Citus routes
    // the statement (docs/SCALE.md, «Statements Citus does not route»).
    let rows = sqlx::query!(
        r#"SELECT g.id, g.subject_id, s.name AS subject, t.teacher_id AS "teacher_id?",
                  a.last_name AS "last_name?", a.first_name AS "first_name?", a.middle_name AS "middle_name?"
           FROM study_group g
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           LEFT JOIN teaching_assignment t ON t.school_id = g.school_id AND t.group_id = g.id
           LEFT JOIN account a ON a.id = t.teacher_id
           WHERE g.school_id = $1 AND g.academic_year_id = $2
             AND ($3::bigint IS NULL OR g.subject_id = $3)
             AND ($4::bigint IS NULL OR EXISTS (
                   SELECT 1 FROM teaching_assignment x
                   WHERE x.school_id = $1 AND x.group_id = g.id AND x.teacher_id = $4))
           ORDER BY g.id, a.last_name, a.first_name"#,
        school.0,
        f.year_id,
        f.subject_id,
        f.teacher_id
    )
    .fetch_all(pool)
    .await?;
    let mut groups: Vec<GroupRow> = Vec::new();
    for r in rows {
        if groups.last().is_none_or(|g| g.id != r.id) {
            groups.push(GroupRow {
                id: r.id,
                subject_id: r.subject_id,
                subject: r.subject.clone(),
                teachers: Vec::new(),
            });
        }
        if let (Some(id), Some(last), Some(first), Some(middle)) =
            (r.teacher_id, r.last_name, r.first_name, r.middle_name)
            && let Some(g) = groups.last_mut()
        {
            g.teachers
                .push((id, super::short_name(&last, &first, &middle)));
        }
    }
    Ok(groups)
}

/// The results of the pupils in the groups: the period marks of the period, or the current
/// marks of the range as the period-mark column proposes them.
pub async fn results(
    pool: &PgPool,
    school: SchoolId,
    f: &Filter,
    pupils: &[i64],
    groups: &[i64],
) -> AppResult<Vec<(i64, i64, Result)>> {
    if let Some(period) = f.period_id {
        let rows = sqlx::query!(
            r#"SELECT pupil_id, group_id, value AS "value!" FROM period_mark
               WHERE school_id = $1 AND period_id = $2 AND value IS NOT NULL
                 AND pupil_id = ANY($3) AND group_id = ANY($4)"#,
            school.0,
            period,
            pupils,
            groups
        )
        .fetch_all(pool)
        .await?;
        return Ok(rows
            .into_iter()
            .filter_map(|r| Result::parse(&r.value).map(|v| (r.pupil_id, r.group_id, v)))
            .collect());
    }
    // A whole school's range is a quarter's 88 000 marks: read in two halves of the pupils at
    // once, on two connections (each pupil's rows are in one half only).
    // The work types' weights in whole tenths.
    let tenths: HashMap<i64, i64> = sqlx::query!(
        r#"SELECT id, (weight * 10)::integer AS "tenths!" FROM work_type WHERE school_id = $1"#,
        school.0
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|w| (w.id, i64::from(w.tenths)))
    .collect();
    if pupils.len() >= SPLIT_FROM {
        let (first, second) = pupils.split_at(pupils.len() / 2);
        let (mut a, b) = tokio::try_join!(
            current_results(pool, school, f, first, groups, &tenths),
            current_results(pool, school, f, second, groups, &tenths)
        )?;
        a.extend(b);
        return Ok(a);
    }
    current_results(pool, school, f, pupils, groups, &tenths).await
}

/// Pupils from which the current results are read in two halves at once.
const SPLIT_FROM: usize = 200;

/// The current results of `pupils` in `groups` over the filter's dates.
async fn current_results(
    pool: &PgPool,
    school: SchoolId,
    f: &Filter,
    pupils: &[i64],
    groups: &[i64],
    tenths: &HashMap<i64, i64>,
) -> AppResult<Vec<(i64, i64, Result)>> {
    // The marks come one row a group, their pupils, values (5, 4, 3, 2; 0 зачёт, -1 незачёт)
    // and work types in three arrays, and are summed here per pupil and group: summed in SQL
    // (five filtered aggregates a pupil and group over a quarter's 88 000 marks) the statement
    // cost twice as much database CPU.
    let rows = sqlx::query!(
        r#"SELECT m.group_id, array_agg(m.pupil_id) AS "pupils!",
                  array_agg(CASE m.value WHEN '5' THEN 5 WHEN '4' THEN 4 WHEN '3' THEN 3
                                         WHEN '2' THEN 2 WHEN 'pass' THEN 0 ELSE -1 END::smallint)
                      AS "values!",
                  array_agg(m.work_type_id) AS "work_types!"
           FROM mark m
           WHERE m.school_id = $1 AND m.pupil_id = ANY($2) AND m.given_on BETWEEN $3 AND $4
             AND m.value IS NOT NULL AND m.group_id = ANY($5)
           GROUP BY m.group_id"#,
        school.0,
        pupils,
        f.from,
        f.to,
        groups
    )
    .fetch_all(pool)
    .await?;
    let mut out = Vec::new();
    for row in rows {
        let mut totals: HashMap<i64, Totals> = HashMap::new();
        for ((&pupil, &value), work_type) in row.pupils.iter().zip(&row.values).zip(&row.work_types)
        {
            let t = totals.entry(pupil).or_default();
            let value = i64::from(value);
            if value > 0 {
                let weight = tenths.get(work_type).copied().unwrap_or(0);
                t.sum += value * weight;
                t.weights += weight;
                t.five += 1;
            } else if value == 0 {
                t.passes += 1;
            } else {
                t.fails += 1;
            }
        }
        out.extend(totals.into_iter().filter_map(|(pupil, t)| {
            current_result(t.sum, t.weights, t.five, t.passes, t.fails)
                .map(|v| (pupil, row.group_id, v))
        }));
    }
    Ok(out)
}

/// A pupil's current marks in a group, added up: the weighted sum and the weights (in tenths)
/// of the five-point marks, how many of them, зачёт and незачёт.
#[derive(Default)]
struct Totals {
    sum: i64,
    weights: i64,
    five: i64,
    passes: i64,
    fails: i64,
}

/// What the period-mark column proposes from a pupil's current marks in a group
/// (`rules::journal::suggest` without the accumulation minimum), from their totals: the weighted
/// average rounded half up (`rules::journal::rounded_average`, the same integer formula), or
/// зачёт/незачёт by majority when those are most of the marks. None without marks.
pub fn current_result(
    sum: i64,
    weights: i64,
    five: i64,
    passes: i64,
    fails: i64,
) -> Option<Result> {
    if five + passes + fails == 0 {
        return None;
    }
    if passes + fails > five {
        return Some(if passes >= fails {
            Result::Pass
        } else {
            Result::Fail
        });
    }
    if weights == 0 {
        return None;
    }
    Some(Result::Mark(
        (2 * sum + weights).div_euclid(2 * weights).clamp(2, 5),
    ))
}

/// The whole report in four queries (pupils, groups, the work types' weights, results).
pub async fn report(pool: &PgPool, school: SchoolId, f: &Filter) -> AppResult<Progress> {
    let pupils = pupils(pool, school, f).await?;
    let groups = groups(pool, school, f).await?;
    let pupil_ids: Vec<i64> = pupils.iter().map(|p| p.id).collect();
    let group_ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let results = results(pool, school, f, &pupil_ids, &group_ids).await?;
    Ok(tally(&pupils, &groups, &results, f.teacher_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::journal::{self as rules, Weighted};

    #[test]
    fn current_results_from_totals_are_what_the_period_mark_column_proposes() {
        let weighted = |v: i64, w: i64| Weighted {
            value: v,
            weight_tenths: w,
        };
        let cases: Vec<(Vec<Weighted>, usize, usize)> = vec![
            (vec![weighted(2, 10), weighted(3, 10)], 0, 0),
            (vec![weighted(4, 10), weighted(5, 10)], 0, 0),
            (vec![weighted(3, 10), weighted(4, 10)], 0, 0),
            (vec![weighted(2, 10), weighted(3, 10), weighted(3, 1)], 0, 0),
            (
                vec![weighted(5, 20), weighted(2, 10), weighted(3, 15)],
                1,
                0,
            ),
            (vec![weighted(4, 10)], 1, 1),
            (vec![], 2, 1),
            (vec![], 1, 2),
            (vec![weighted(5, 10)], 0, 2),
        ];
        for (five, passes, fails) in cases {
            let sum: i64 = five.iter().map(|m| m.value * m.weight_tenths).sum();
            let weights: i64 = five.iter().map(|m| m.weight_tenths).sum();
            let expected = match rules::suggest(&five, passes, fails, 1) {
                rules::Suggestion::Mark(m) => Some(Result::Mark(m)),
                rules::Suggestion::Pass => Some(Result::Pass),
                rules::Suggestion::Fail => Some(Result::Fail),
                rules::Suggestion::NotAttested => None,
            };
            assert_eq!(
                current_result(sum, weights, five.len() as i64, passes as i64, fails as i64),
                expected,
                "{five:?} {passes} {fails}"
            );
        }
    }

    fn pupil(id: i64, class_id: i64) -> PupilRow {
        PupilRow {
            id,
            name: format!("П{id}"),
            class_id,
            class_label: format!("5{class_id}"),
            grade: 5,
        }
    }

    #[test]
    fn a_pupil_with_na_does_not_progress_and_osv_is_left_out() {
        let pupils = [pupil(1, 1), pupil(2, 1), pupil(3, 1), pupil(4, 1)];
        let groups = [
            GroupRow {
                id: 10,
                subject_id: 100,
                subject: "Математика".into(),
                teachers: vec![(7, "Учитель".into())],
            },
            GroupRow {
                id: 11,
                subject_id: 101,
                subject: "Музыка".into(),
                teachers: vec![],
            },
        ];
        let results = [
            (1, 10, Result::Mark(5)),
            (1, 11, Result::Mark(5)),
            (2, 10, Result::Mark(2)),
            (2, 11, Result::NotAttested),
            (3, 10, Result::Mark(4)),
            (3, 11, Result::Exempt),
            (4, 10, Result::Mark(3)),
            (4, 11, Result::Mark(4)),
        ];
        let r = tally(&pupils, &groups, &results, None);
        let s = r.school;
        assert_eq!((s.pupils, s.progressing, s.quality), (4, 3, 2));
        assert_eq!((s.excellent, s.good, s.one_three, s.failing), (1, 1, 1, 1));
        assert_eq!((s.not_attested, s.exempt), (1, 1));
        assert_eq!(s.progress_tenths(), Some(750));
        assert_eq!(s.quality_tenths(), Some(500));
        // 5 5 2 4 3 4 → 23 / 6 = 3.833…
        assert_eq!(s.average_hundredths(), Some(383));
        let music = r.subjects.iter().find(|l| l.id == 101).unwrap().figures;
        assert_eq!((music.pupils, music.progressing, music.exempt), (3, 2, 1));
        assert_eq!(r.teachers.len(), 1);
        assert_eq!(r.teachers[0].figures.pupils, 4);
        assert_eq!(r.failing[0].subjects.len(), 2);
    }
}
