//! The journal page of a group for a study period: pupils × lesson columns, the weighted
//! average, the suggested and set period marks and the accumulation gaps (J11, J12). Five
//! indexed queries (the head with the periods, holidays and work types; lessons; pupils with
//! their period marks; marks; absences), whatever the size of the class.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};
use sqlx::PgConnection;

use super::{Cell, MarkValue, show_period_value};
use crate::error::{AppError, AppResult};
use crate::rules::calendar::Span;
use crate::rules::grading::{Scale, scale_for};
use crate::rules::journal::{self as rules, AccumulationRule, Attended, Settings, Weighted};
use crate::tenancy::SchoolId;

/// A group's journal heading and settings.
#[derive(Debug, Clone)]
pub struct Head {
    pub group_id: i64,
    pub group_name: String,
    pub subject: String,
    pub class_id: Option<i64>,
    pub academic_year_id: i64,
    pub year_closed: bool,
    pub grade: i16,
    pub subject_scale: String,
    pub grade_scale: Option<String>,
    pub hours_tenths: i32,
    pub teachers: String,
    pub time_zone: String,
    pub settings: Settings,
    pub accumulation: AccumulationRule,
    /// Whether the reader `head` was given teaches the group (none given: not asked).
    pub reader_teaches: Option<bool>,
    /// The periods of the group's grade, in order (read with the heading: one round trip).
    pub periods: Vec<PeriodTab>,
    /// The school's holidays («каникулы») of the year for the group's grade, in order — the
    /// holiday table only; public holidays («праздничные дни») are days off, not holidays (J11).
    pub holidays: Vec<Span>,
    /// The school's work types (the column's work-type choice), by name.
    pub work_types: Vec<(i64, String)>,
}

impl Head {
    pub fn scale(&self) -> Scale {
        scale_for(
            Scale::parse(&self.subject_scale).unwrap_or(Scale::FivePoint),
            self.grade_scale.as_deref().and_then(Scale::parse),
            self.grade,
        )
    }

    /// Whole hours a week for the accumulation rule (at least 1).
    pub fn hours(&self) -> i64 {
        i64::from((self.hours_tenths + 9) / 10).max(1)
    }
}

/// The journal's heading and settings; `reader`: a teacher reading it, asked with it whether
/// they teach the group (`Head::reader_teaches`, for `service::may_read`).
pub async fn head(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
    reader: Option<i64>,
) -> AppResult<Head> {
    // Subqueries name the school by `$1`, not the outer row's column: Citus routes it (SCALE.md).
    let r = sqlx::query!(
        r#"SELECT g.id, g.name, s.name AS subject, g.class_id, g.academic_year_id,
                  y.closed_at IS NOT NULL AS "year_closed!",
                  gr.grade AS "grade!",
                  s.scale AS subject_scale,
                  (SELECT sgs.scale FROM subject_grade_scale sgs
                   WHERE sgs.school_id = $1 AND sgs.subject_id = s.id AND sgs.grade = c.grade) AS "grade_scale?",
                  coalesce((SELECT (max(t.hours_per_week) * 10)::integer FROM teaching_assignment t
                            WHERE t.school_id = $1 AND t.group_id = g.id), 10) AS "hours!",
                  coalesce((SELECT string_agg(a.last_name || ' ' || left(a.first_name, 1) || '.' ||
                                              CASE WHEN a.middle_name = '' THEN '' ELSE ' ' || left(a.middle_name, 1) || '.' END,
                                              ', ' ORDER BY a.last_name)
                            FROM teaching_assignment t JOIN account a ON a.id = t.teacher_id
                            WHERE t.school_id = $1 AND t.group_id = g.id), '') AS "teachers!",
                  sc.time_zone, sc.entry_lock_days, sc.mark_cutoff, sc.homework_window_minutes,
                  sc.period_mark_grace_days, sc.accumulation_min_marks_one_hour,
                  sc.accumulation_min_marks_more_hours, sc.accumulation_grace_weeks,
                  sc.accumulation_grace_weeks_one_hour,
                  CASE WHEN $3::bigint IS NOT NULL THEN
                      EXISTS (SELECT 1 FROM teaching_assignment t
                              WHERE t.school_id = $1 AND t.group_id = g.id AND t.teacher_id = $3)
                  END AS "reader_teaches?",
                  per.ids AS "period_ids?", per.numbers AS "period_numbers?",
                  per.starts AS "period_starts?", per.ends AS "period_ends?", per.kinds AS "period_kinds?",
                  hol.starts AS "holiday_starts?", hol.ends AS "holiday_ends?",
                  wt.ids AS "work_type_ids?", wt.names AS "work_type_names?"
           FROM study_group g
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           JOIN academic_year y ON y.school_id = g.school_id AND y.id = g.academic_year_id
           JOIN school sc ON sc.id = g.school_id
           LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           CROSS JOIN LATERAL (
               SELECT coalesce(c.grade, (SELECT min(ts.grade) FROM timetable_slot ts
                                         WHERE ts.school_id = $1 AND ts.group_id = g.id), 5)::smallint AS grade) gr
           CROSS JOIN LATERAL (
               SELECT array_agg(p.id ORDER BY p.number) AS ids, array_agg(p.number ORDER BY p.number) AS numbers,
                      array_agg(p.starts_on ORDER BY p.number) AS starts,
                      array_agg(p.ends_on ORDER BY p.number) AS ends, array_agg(ps.kind ORDER BY p.number) AS kinds
               FROM period_scheme ps
               JOIN study_period p ON p.school_id = ps.school_id AND p.scheme_id = ps.id
               WHERE ps.school_id = $1 AND ps.academic_year_id = g.academic_year_id
                 AND gr.grade BETWEEN ps.grade_from AND ps.grade_to) per
           CROSS JOIN LATERAL (
               SELECT array_agg(h.starts_on ORDER BY h.starts_on) AS starts,
                      array_agg(h.ends_on ORDER BY h.starts_on) AS ends
               FROM holiday h
               WHERE h.school_id = $1 AND h.academic_year_id = g.academic_year_id
                 AND gr.grade BETWEEN h.grade_from AND h.grade_to AND h.kind <> 'public') hol
           CROSS JOIN LATERAL (
               SELECT array_agg(w.id ORDER BY w.name) AS ids, array_agg(w.name ORDER BY w.name) AS names
               FROM work_type w WHERE w.school_id = $1) wt
           WHERE g.school_id = $1 AND g.id = $2"#,
        school.0,
        group_id,
        reader
    )
    .fetch_optional(conn)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Head {
        group_id: r.id,
        group_name: r.name,
        subject: r.subject,
        class_id: r.class_id,
        academic_year_id: r.academic_year_id,
        year_closed: r.year_closed,
        grade: r.grade,
        subject_scale: r.subject_scale,
        grade_scale: r.grade_scale,
        hours_tenths: r.hours,
        teachers: r.teachers,
        time_zone: r.time_zone,
        settings: Settings {
            entry_lock_days: i64::from(r.entry_lock_days),
            mark_cutoff: r.mark_cutoff,
            homework_window_minutes: i64::from(r.homework_window_minutes),
            period_mark_grace_days: i64::from(r.period_mark_grace_days),
        },
        accumulation: AccumulationRule {
            min_marks_one_hour: i64::from(r.accumulation_min_marks_one_hour),
            min_marks_more_hours: i64::from(r.accumulation_min_marks_more_hours),
            grace_weeks: i64::from(r.accumulation_grace_weeks),
            grace_weeks_one_hour: i64::from(r.accumulation_grace_weeks_one_hour),
        },
        reader_teaches: r.reader_teaches,
        periods: r
            .period_ids
            .unwrap_or_default()
            .into_iter()
            .zip(r.period_numbers.unwrap_or_default())
            .zip(r.period_starts.unwrap_or_default())
            .zip(r.period_ends.unwrap_or_default())
            .zip(r.period_kinds.unwrap_or_default())
            .map(|((((id, number), starts), ends), kind)| {
                PeriodTab::new(id, number, &kind, Span::new(starts, ends))
            })
            .collect(),
        holidays: r
            .holiday_starts
            .unwrap_or_default()
            .into_iter()
            .zip(r.holiday_ends.unwrap_or_default())
            .map(|(starts, ends)| Span::new(starts, ends))
            .collect(),
        work_types: r
            .work_type_ids
            .unwrap_or_default()
            .into_iter()
            .zip(r.work_type_names.unwrap_or_default())
            .collect(),
    })
}

/// A study period of a grade (the journal's tabs, the diary's marks, the class reports).
#[derive(Debug, Clone)]
pub struct PeriodTab {
    pub id: i64,
    pub name: String,
    pub span: Span,
}

impl PeriodTab {
    fn new(id: i64, number: i16, kind: &str, span: Span) -> Self {
        PeriodTab {
            id,
            name: crate::rules::calendar::PeriodKind::parse(kind)
                .map(|k| k.period_name(number))
                .unwrap_or_default(),
            span,
        }
    }
}

/// The periods of a grade in a year, in order.
pub async fn grade_periods(
    conn: &mut PgConnection,
    school: SchoolId,
    academic_year_id: i64,
    grade: i16,
) -> AppResult<Vec<PeriodTab>> {
    let rows = sqlx::query!(
        "SELECT p.id, p.number, p.starts_on, p.ends_on, ps.kind
         FROM period_scheme ps
         JOIN study_period p ON p.school_id = ps.school_id AND p.scheme_id = ps.id
         WHERE ps.school_id = $1 AND ps.academic_year_id = $2 AND $3 BETWEEN ps.grade_from AND ps.grade_to
         ORDER BY p.number",
        school.0,
        academic_year_id,
        grade
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PeriodTab::new(r.id, r.number, &r.kind, Span::new(r.starts_on, r.ends_on)))
        .collect())
}

/// A mark column in the grid (a lesson's column, or its implicit first one).
#[derive(Debug, Clone)]
pub struct HeadCell {
    pub lesson_id: i64,
    pub column_id: Option<i64>,
    pub date: NaiveDate,
    pub lesson_number: i16,
    /// The first column of its lesson (the date is shown over it).
    pub first: bool,
    pub work_type: String,
    pub work_type_short: String,
    pub topic: Option<String>,
    pub planned_topic: Option<String>,
    pub homework_set: bool,
    /// J7: the homework was written after the window (flagged, as late marks are).
    pub homework_late: bool,
    pub substitute: Option<String>,
    pub status: String,
}

impl HeadCell {
    pub fn day(&self) -> String {
        self.date.format("%d.%m").to_string()
    }
}

/// A cell as the grid shows it.
#[derive(Debug, Clone, Default)]
pub struct CellView {
    pub text: String,
    pub late: bool,
    /// The pupil is not in the group on that day (joined later, left earlier): greyed.
    pub outside: bool,
    /// «УП», «НП», «Б».
    pub reason: &'static str,
}

/// A pupil's line.
#[derive(Debug, Clone)]
pub struct Row {
    pub number: usize,
    pub pupil_id: i64,
    pub name: String,
    /// Left the group during the period (transferred, withdrawn): the name is greyed.
    pub left_on: Option<NaiveDate>,
    pub cells: Vec<CellView>,
    pub average: Option<f64>,
    pub suggestion: &'static str,
    pub period_mark: Option<String>,
    pub deferred_until: Option<NaiveDate>,
    pub gap: Option<String>,
    pub externals: Vec<String>,
}

impl Row {
    /// «4,33».
    pub fn average_text(&self) -> String {
        self.average
            .map(|a| format!("{a:.2}").replace('.', ","))
            .unwrap_or_default()
    }

    /// How many marks the pupil has in the period's lessons.
    pub fn mark_count(&self) -> usize {
        self.cells
            .iter()
            .filter(|c| !c.text.is_empty() && c.text != "н")
            .count()
    }

    pub fn period_mark_text(&self) -> &'static str {
        self.period_mark.as_deref().map_or("", show_period_value)
    }
}

/// The journal of a group for a period.
#[derive(Debug, Clone)]
pub struct Grid {
    pub heads: Vec<HeadCell>,
    pub rows: Vec<Row>,
    /// Weeks of the period gone by (for J11).
    pub weeks: i64,
    /// The column the page opens on (issue 15): the first column of today's first lesson, else of
    /// the nearest lesson before today, else the first column.
    pub today_column: Option<usize>,
}

impl Grid {
    /// Whether column `i` is the one the page opens on.
    pub fn opens_on(&self, i: impl std::borrow::Borrow<usize>) -> bool {
        self.today_column == Some(*i.borrow())
    }
}

/// The column a grid opens on: the first column of `today`'s first lesson, else of the last
/// lesson before it, else the first column (a period that has not begun); none without lessons.
pub fn today_column(heads: &[HeadCell], today: NaiveDate) -> Option<usize> {
    heads
        .iter()
        .position(|h| h.first && h.date == today)
        .or_else(|| heads.iter().rposition(|h| h.first && h.date < today))
        .or_else(|| (!heads.is_empty()).then_some(0))
}

/// Builds the grid of `group` for `period` as of `today`.
pub async fn grid(
    conn: &mut PgConnection,
    school: SchoolId,
    head: &Head,
    period: &PeriodTab,
    today: NaiveDate,
) -> AppResult<Grid> {
    let span = period.span;
    let lessons = sqlx::query!(
        r#"SELECT l.id, l.lesson_date, l.lesson_number, l.status, l.topic, l.planned_topic,
                  (l.homework IS NOT NULL OR l.homework_none) AS "homework_set!", l.homework_late,
                  c.id AS "column_id?", w.name AS "work_type?", w.short_name AS "work_short?",
                  a.last_name || ' ' || left(a.first_name, 1) || '.' AS substitute
           FROM lesson l
           LEFT JOIN mark_column c ON c.school_id = l.school_id AND c.lesson_id = l.id
           LEFT JOIN work_type w ON w.school_id = c.school_id AND w.id = c.work_type_id
           LEFT JOIN substitution s ON s.school_id = l.school_id AND s.lesson_id = l.id
           LEFT JOIN account a ON a.id = s.teacher_id
           WHERE l.school_id = $1 AND l.group_id = $2 AND l.lesson_date BETWEEN $3 AND $4
             AND l.status NOT IN ('moved', 'cancelled')
           ORDER BY l.lesson_date, l.lesson_number, c.position"#,
        school.0,
        head.group_id,
        span.starts_on,
        span.ends_on
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut heads: Vec<HeadCell> = Vec::with_capacity(lessons.len());
    for l in lessons {
        let first = heads.last().is_none_or(|h| h.lesson_id != l.id);
        heads.push(HeadCell {
            lesson_id: l.id,
            column_id: l.column_id,
            date: l.lesson_date,
            lesson_number: l.lesson_number,
            first,
            work_type: l.work_type.unwrap_or_else(|| "Ответ на уроке".into()),
            work_type_short: l.work_short.unwrap_or_default(),
            topic: l.topic,
            planned_topic: l.planned_topic,
            homework_set: l.homework_set,
            homework_late: l.homework_late,
            substitute: l.substitute,
            status: l.status,
        });
    }

    let pupils = sqlx::query!(
        // With each pupil's period mark: the journal's period marks read first by their key (one
        // round trip less a page; joined per pupil, the generic plan walked each pupil's period
        // marks of every subject).
        r#"WITH pm AS MATERIALIZED (
               SELECT pupil_id, value, deferred_until FROM period_mark
               WHERE school_id = $1 AND group_id = $2 AND period_id = $5)
           SELECT p.id, p.last_name || ' ' || p.first_name AS "name!",
                  min(gp.starts_on) AS "starts_on!", max(coalesce(gp.ends_on, '9999-12-31'::date)) AS "ends_on!",
                  pm.value AS "period_mark?", pm.deferred_until AS "deferred_until?"
           FROM group_pupil gp JOIN pupil p ON p.school_id = gp.school_id AND p.id = gp.pupil_id
           LEFT JOIN pm ON pm.pupil_id = p.id
           WHERE gp.school_id = $1 AND gp.group_id = $2
             AND gp.starts_on <= $4 AND (gp.ends_on IS NULL OR gp.ends_on >= $3)
           GROUP BY p.id, p.last_name, p.first_name, pm.value, pm.deferred_until
           ORDER BY p.last_name, p.first_name, p.id"#,
        school.0,
        head.group_id,
        span.starts_on,
        span.ends_on,
        period.id
    )
    .fetch_all(&mut *conn)
    .await?;

    let marks = sqlx::query!(
        r#"SELECT m.pupil_id, m.column_id, m.value AS "value!", m.late_entry, m.document, m.given_on,
                  (w.weight * 10)::bigint AS "weight!", w.short_name AS work_short
           FROM mark m JOIN work_type w ON w.school_id = m.school_id AND w.id = m.work_type_id
           WHERE m.school_id = $1 AND m.group_id = $2 AND m.given_on BETWEEN $3 AND $4
             AND m.value IS NOT NULL"#,
        school.0,
        head.group_id,
        span.starts_on,
        span.ends_on
    )
    .fetch_all(&mut *conn)
    .await?;

    let absences = sqlx::query!(
        "SELECT a.lesson_id, a.pupil_id, a.reason, a.late_entry
         FROM absence a JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id
         WHERE a.school_id = $1 AND l.group_id = $2 AND l.lesson_date BETWEEN $3 AND $4 AND a.absent",
        school.0,
        head.group_id,
        span.starts_on,
        span.ends_on
    )
    .fetch_all(&mut *conn)
    .await?;

    // J11: the first two lessons after the school's holidays for this grade (and of the period)
    // do not count towards a run without marks.
    let holidays: Vec<Span> = head
        .holidays
        .iter()
        .filter(|h| h.ends_on >= span.starts_on && h.starts_on <= span.ends_on)
        .copied()
        .collect();
    let lesson_dates: Vec<(i64, NaiveDate)> = heads
        .iter()
        .filter(|h| h.first)
        .map(|h| (h.lesson_id, h.date))
        .collect();
    let dates: Vec<NaiveDate> = lesson_dates.iter().map(|(_, d)| *d).collect();
    let after_holidays: HashMap<i64, bool> = lesson_dates
        .iter()
        .map(|(id, _)| *id)
        .zip(rules::after_holidays(&dates, &holidays))
        .collect();

    let column_index: HashMap<(i64, Option<i64>), usize> = heads
        .iter()
        .enumerate()
        .map(|(i, h)| ((h.lesson_id, h.column_id), i))
        .collect();
    let first_column_of: HashMap<i64, usize> = heads
        .iter()
        .enumerate()
        .filter(|(_, h)| h.first)
        .map(|(i, h)| (h.lesson_id, i))
        .collect();
    let lesson_of_column: HashMap<i64, i64> = heads
        .iter()
        .filter_map(|h| h.column_id.map(|c| (c, h.lesson_id)))
        .collect();

    let mut rows: Vec<Row> = pupils
        .iter()
        .enumerate()
        .map(|(i, p)| Row {
            number: i + 1,
            pupil_id: p.id,
            name: p.name.clone(),
            left_on: (p.ends_on < span.ends_on).then_some(p.ends_on),
            cells: heads
                .iter()
                .map(|h| CellView {
                    outside: h.date < p.starts_on || h.date > p.ends_on,
                    ..CellView::default()
                })
                .collect(),
            average: None,
            suggestion: "",
            period_mark: p.period_mark.clone(),
            deferred_until: p.deferred_until,
            gap: None,
            externals: Vec::new(),
        })
        .collect();
    let row_of: HashMap<i64, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.pupil_id, i))
        .collect();

    let mut weighted: HashMap<i64, Vec<Weighted>> = HashMap::new();
    let mut pass_fail: HashMap<i64, (usize, usize)> = HashMap::new();
    let mut marked_lessons: HashMap<(i64, i64), bool> = HashMap::new();
    for m in &marks {
        let Some(&r) = row_of.get(&m.pupil_id) else {
            continue;
        };
        let Some(value) = MarkValue::parse(&m.value) else {
            continue;
        };
        match value.points() {
            Some(points) => weighted.entry(m.pupil_id).or_default().push(Weighted {
                value: points,
                weight_tenths: m.weight,
            }),
            None => {
                let e = pass_fail.entry(m.pupil_id).or_default();
                if value == MarkValue::Pass {
                    e.0 += 1
                } else {
                    e.1 += 1
                }
            }
        }
        match m.column_id {
            Some(column) => {
                let Some(&lesson) = lesson_of_column.get(&column) else {
                    continue;
                };
                marked_lessons.insert((m.pupil_id, lesson), true);
                if let Some(&c) = column_index.get(&(lesson, Some(column))) {
                    let cell = &mut rows[r].cells[c];
                    cell.text = Cell {
                        absent: false,
                        mark: Some(value),
                    }
                    .text();
                    cell.late |= m.late_entry;
                }
            }
            None => rows[r].externals.push(format!(
                "{} ({}, {}: {})",
                value.show(),
                m.work_short,
                m.given_on.format("%d.%m"),
                m.document.as_deref().unwrap_or("")
            )),
        }
    }
    let mut absent_at: HashMap<(i64, i64), bool> = HashMap::new();
    for a in &absences {
        let Some(&r) = row_of.get(&a.pupil_id) else {
            continue;
        };
        absent_at.insert((a.pupil_id, a.lesson_id), true);
        let reason = a
            .reason
            .as_deref()
            .and_then(super::AbsenceReason::parse)
            .map_or("", super::AbsenceReason::short);
        for (i, h) in heads.iter().enumerate() {
            if h.lesson_id == a.lesson_id {
                let cell = &mut rows[r].cells[i];
                cell.text = format!("н{}", cell.text);
                cell.reason = reason;
                cell.late |= a.late_entry;
            }
        }
    }

    let weeks = rules::weeks_into(span, today);
    let scale = head.scale();
    let min_marks = head.accumulation.min_marks(head.hours()) as usize;
    for row in &mut rows {
        let five = weighted.remove(&row.pupil_id).unwrap_or_default();
        let (passes, fails) = pass_fail.remove(&row.pupil_id).unwrap_or_default();
        row.average = rules::weighted_average(&five);
        if scale != Scale::NoMarks {
            let marks = (five.len() + passes + fails) as i64;
            row.suggestion = rules::suggest(&five, passes, fails, min_marks).value();
            let lived: Vec<Attended> = lesson_dates
                .iter()
                .filter(|(_, d)| *d <= today)
                .filter(|(id, _)| {
                    first_column_of
                        .get(id)
                        .is_some_and(|&i| !row.cells[i].outside)
                })
                .map(|(id, _)| Attended {
                    present: !absent_at.contains_key(&(row.pupil_id, *id)),
                    marked: marked_lessons.contains_key(&(row.pupil_id, *id)),
                    after_holidays: after_holidays.get(id).copied().unwrap_or(false),
                })
                .collect();
            row.gap =
                rules::accumulation_gap(&head.accumulation, head.hours(), weeks, &lived, marks)
                    .map(|g| g.text());
        }
    }
    let today_column = today_column(&heads, today);
    Ok(Grid {
        heads,
        rows,
        weeks,
        today_column,
    })
}

/// Bell time helper for pages: «08:30».
pub fn hhmm(t: Option<NaiveTime>) -> String {
    t.map(|t| t.format("%H:%M").to_string()).unwrap_or_default()
}

/// A journal in a list: a group of the current year with its subject and teachers.
#[derive(Debug, Clone)]
pub struct JournalLine {
    pub group_id: i64,
    pub class_name: String,
    pub group_name: String,
    pub subject: String,
    pub teachers: String,
    /// The member substitutes at a lesson of this group (a registered substitution, J15) and does
    /// not teach it; a journal the member merely reads (a class teacher's class) is not one.
    pub substituted: bool,
}

/// The journals a teacher or a class teacher may open in the year holding `today`: their own
/// groups, the groups where they substitute, a class teacher's class (the management's list is
/// `attention::journals_behind`).
pub async fn journals(
    conn: &mut PgConnection,
    school: SchoolId,
    class_id: Option<i64>,
    account_id: i64,
    today: NaiveDate,
) -> sqlx::Result<Vec<JournalLine>> {
    let Some(year) = crate::school_year::repo::current_year(conn, school, today).await? else {
        return Ok(Vec::new());
    };
    // Subqueries name the school by `$1`, not the outer row's column: Citus routes it (SCALE.md).
    sqlx::query_as!(
        JournalLine,
        r#"SELECT g.id AS group_id,
                  coalesce(c.grade || '«' || c.letter || '»', '') AS "class_name!",
                  g.name AS group_name, s.name AS subject,
                  coalesce((SELECT string_agg(a.last_name || ' ' || left(a.first_name, 1) || '.', ', ')
                            FROM teaching_assignment t JOIN account a ON a.id = t.teacher_id
                            WHERE t.school_id = $1 AND t.group_id = g.id), '') AS "teachers!",
                  (NOT EXISTS (SELECT 1 FROM teaching_assignment t
                               WHERE t.school_id = $1 AND t.group_id = g.id AND t.teacher_id = $4)
                   AND EXISTS (SELECT 1 FROM substitution sb JOIN lesson l ON l.school_id = sb.school_id AND l.id = sb.lesson_id
                               WHERE sb.school_id = $1 AND l.group_id = g.id AND sb.teacher_id = $4)) AS "substituted!"
           FROM study_group g
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           WHERE g.school_id = $1 AND g.academic_year_id = $2
             AND (($3::bigint IS NOT NULL AND g.class_id = $3)
                  OR EXISTS (SELECT 1 FROM teaching_assignment t
                             WHERE t.school_id = $1 AND t.group_id = g.id AND t.teacher_id = $4)
                  OR EXISTS (SELECT 1 FROM substitution sb JOIN lesson l ON l.school_id = sb.school_id AND l.id = sb.lesson_id
                             WHERE sb.school_id = $1 AND l.group_id = g.id AND sb.teacher_id = $4))
           ORDER BY c.grade NULLS LAST, c.letter, s.name, g.name"#,
        school.0,
        year,
        class_id,
        account_id
    )
    .fetch_all(conn)
    .await
}

/// A pupil's line on the lesson page: the cells of every column of the lesson.
#[derive(Debug, Clone)]
pub struct LessonPupil {
    pub pupil_id: i64,
    pub name: String,
    pub absent: bool,
    pub reason: Option<String>,
    /// Per column of the lesson (or the one implicit column): the mark shown.
    pub marks: Vec<String>,
}

impl LessonPupil {
    /// «УП», «НП», «Б» of the absence, if set.
    pub fn reason_short(&self) -> &'static str {
        self.reason
            .as_deref()
            .and_then(super::AbsenceReason::parse)
            .map_or("", super::AbsenceReason::short)
    }

    /// The cell text of column `i` as the teacher types it.
    pub fn cell(&self, i: impl std::borrow::Borrow<usize>) -> String {
        let i = *i.borrow();
        let mut s = String::new();
        if self.absent {
            s.push('н');
        }
        s.push_str(self.marks.get(i).map_or("", String::as_str));
        s
    }
}

/// The pupils of the lesson's group on its day with their cells, in one query.
pub async fn lesson_pupils(
    conn: &mut PgConnection,
    school: SchoolId,
    group_id: i64,
    lesson_id: i64,
    on: NaiveDate,
    columns: &[Option<i64>],
) -> sqlx::Result<Vec<LessonPupil>> {
    let pupils = sqlx::query!(
        // The lesson's absences first, by their own key (a handful of rows), then the group's
        // pupils by theirs: joined per pupil, the generic plan walked each pupil's absences of
        // the year (170 index pages a page view), and DISTINCT sorted away the duplicates a
        // member in two spans of the group gave.
        // The lesson's marks likewise, a pupil's as two arrays (column, value).
        r#"WITH a AS MATERIALIZED (
               SELECT pupil_id, absent, reason FROM absence WHERE school_id = $1 AND lesson_id = $3),
           mk AS MATERIALIZED (
               SELECT m.pupil_id, array_agg(m.column_id) AS columns, array_agg(m.value) AS marks
               FROM mark m JOIN mark_column c ON c.school_id = m.school_id AND c.id = m.column_id
               WHERE m.school_id = $1 AND c.lesson_id = $3 AND m.value IS NOT NULL
               GROUP BY m.pupil_id)
           SELECT p.id, p.last_name || ' ' || p.first_name AS "name!", a.absent AS "absent?", a.reason,
                  mk.columns AS "mark_columns?", mk.marks AS "marks?"
           FROM pupil p
           LEFT JOIN a ON a.pupil_id = p.id
           LEFT JOIN mk ON mk.pupil_id = p.id
           WHERE p.school_id = $1
             AND p.id IN (SELECT gp.pupil_id FROM group_pupil gp
                          WHERE gp.school_id = $1 AND gp.group_id = $2
                            AND gp.starts_on <= $4 AND (gp.ends_on IS NULL OR gp.ends_on >= $4))
           ORDER BY p.last_name, p.first_name, p.id"#,
        school.0,
        group_id,
        lesson_id,
        on
    )
    .fetch_all(conn)
    .await?;
    Ok(pupils
        .into_iter()
        .map(|p| {
            let (held, marks) = (
                p.mark_columns.unwrap_or_default(),
                p.marks.unwrap_or_default(),
            );
            LessonPupil {
                pupil_id: p.id,
                name: p.name,
                absent: p.absent.unwrap_or(false),
                reason: p.reason,
                marks: columns
                    .iter()
                    .map(|c| {
                        held.iter()
                            .zip(&marks)
                            .find(|(column, _)| Some(**column) == *c)
                            .and_then(|(_, value)| MarkValue::parse(value))
                            .map_or(String::new(), |v| v.show().to_string())
                    })
                    .collect(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(lesson_id: i64, day: u32, first: bool) -> HeadCell {
        HeadCell {
            lesson_id,
            column_id: None,
            date: NaiveDate::from_ymd_opt(2026, 10, day).unwrap(),
            lesson_number: 1,
            first,
            work_type: String::new(),
            work_type_short: String::new(),
            topic: None,
            planned_topic: None,
            homework_set: false,
            homework_late: false,
            substitute: None,
            status: String::new(),
        }
    }

    #[test]
    fn the_grid_opens_on_todays_first_lesson_else_the_last_before_else_the_first() {
        // 05.10 (two columns), 07.10, 07.10 (a second lesson), 12.10.
        let heads = [
            head(1, 5, true),
            head(1, 5, false),
            head(2, 7, true),
            head(3, 7, true),
            head(4, 12, true),
        ];
        let on = |d| today_column(&heads, NaiveDate::from_ymd_opt(2026, 10, d).unwrap());
        assert_eq!(on(7), Some(2), "today's first lesson");
        assert_eq!(on(5), Some(0));
        assert_eq!(on(6), Some(0), "the lesson before, at its first column");
        assert_eq!(on(10), Some(3), "the last lesson before today");
        assert_eq!(on(30), Some(4));
        assert_eq!(on(1), Some(0), "the period has not begun");
        assert_eq!(today_column(&[], NaiveDate::MIN), None);
    }
}
