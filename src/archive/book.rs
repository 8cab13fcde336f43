//! The printed journal of a class (or of the year's groups outside classes), its attendance
//! pages and its summary sheet: loaded with a fixed handful of set-based queries per class —
//! never one per pupil or lesson — and laid out as A4 PDFs by `exports::archive_pdf`.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use sqlx::PgPool;

use crate::exports::ExportError;
use crate::exports::archive_pdf::{Frame, Grid, TEXT_WIDTH, Writer, document};
use crate::journal::grid::PeriodTab;
use crate::journal::period::SummarySheet;
use crate::journal::{AbsenceReason, MarkValue, show_period_value};
use crate::reports::activity::month_words;
use crate::tenancy::SchoolId;

/// A study group of the year as its journal's title shows it.
#[derive(Debug, Clone)]
pub struct GroupInfo {
    pub id: i64,
    pub class_id: Option<i64>,
    pub name: String,
    pub subject: String,
    pub teachers: String,
}

/// Every group of the year, by class then subject (one query).
pub async fn groups(pool: &PgPool, school: SchoolId, year_id: i64) -> sqlx::Result<Vec<GroupInfo>> {
    let rows = sqlx::query!(
        r#"SELECT g.id, g.class_id, g.name, s.name AS subject,
                  coalesce((SELECT string_agg(a.last_name || ' ' || a.first_name || ' ' || a.middle_name, ', ' ORDER BY a.last_name)
                            FROM teaching_assignment t JOIN account a ON a.id = t.teacher_id
                            WHERE t.school_id = g.school_id AND t.group_id = g.id), '') AS "teachers!"
           FROM study_group g JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE g.school_id = $1 AND g.academic_year_id = $2
           ORDER BY g.class_id NULLS LAST, s.name, g.name, g.id"#,
        school.0,
        year_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| GroupInfo {
            id: r.id,
            class_id: r.class_id,
            name: r.name,
            subject: r.subject,
            teachers: r.teachers.trim().to_string(),
        })
        .collect())
}

struct Lesson {
    id: i64,
    group_id: i64,
    date: NaiveDate,
    topic: Option<String>,
    homework: Option<String>,
    homework_none: bool,
}

/// The journal of some groups: what their pages print.
pub struct Journal {
    groups: Vec<GroupInfo>,
    lessons: Vec<Lesson>,
    /// (group, pupil id, name) in the order printed.
    pupils: Vec<(i64, i64, String)>,
    /// (lesson, pupil) → the marks of its columns in order.
    marks: HashMap<(i64, i64), Vec<&'static str>>,
    /// (lesson, pupil) → the absence's reason.
    absences: HashMap<(i64, i64), Option<AbsenceReason>>,
    /// (group, pupil, period) → the period mark as shown.
    period_marks: HashMap<(i64, i64, i64), &'static str>,
    periods: Vec<PeriodTab>,
}

/// The journal of `groups` within the year's dates: five queries whatever their size.
pub async fn journal(
    pool: &PgPool,
    school: SchoolId,
    (starts_on, ends_on): (NaiveDate, NaiveDate),
    groups: Vec<GroupInfo>,
    periods: Vec<PeriodTab>,
) -> sqlx::Result<Journal> {
    let ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let lessons = sqlx::query!(
        r#"SELECT l.id, l.group_id, l.lesson_date, l.topic, l.homework, l.homework_none
           FROM lesson l
           WHERE l.school_id = $1 AND l.group_id = ANY($2) AND l.lesson_date BETWEEN $3 AND $4
             AND l.status NOT IN ('moved', 'cancelled')
           ORDER BY l.group_id, l.lesson_date, l.lesson_number"#,
        school.0,
        &ids,
        starts_on,
        ends_on
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| Lesson {
        id: r.id,
        group_id: r.group_id,
        date: r.lesson_date,
        topic: r.topic,
        homework: r.homework,
        homework_none: r.homework_none,
    })
    .collect();
    let pupils = sqlx::query!(
        r#"SELECT gp.group_id AS "group_id!", p.id, p.last_name || ' ' || p.first_name AS "name!"
           FROM group_pupil gp JOIN pupil p ON p.school_id = gp.school_id AND p.id = gp.pupil_id
           WHERE gp.school_id = $1 AND gp.group_id = ANY($2)
             AND gp.starts_on <= $4 AND (gp.ends_on IS NULL OR gp.ends_on >= $3)
           GROUP BY gp.group_id, p.id, p.last_name, p.first_name
           ORDER BY gp.group_id, p.last_name, p.first_name, p.id"#,
        school.0,
        &ids,
        starts_on,
        ends_on
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.group_id, r.id, r.name))
    .collect();
    let mut marks: HashMap<(i64, i64), Vec<&'static str>> = HashMap::new();
    for m in sqlx::query!(
        r#"SELECT c.lesson_id, m.pupil_id, m.value AS "value!"
           FROM mark m JOIN mark_column c ON c.school_id = m.school_id AND c.id = m.column_id
           WHERE m.school_id = $1 AND m.group_id = ANY($2) AND m.value IS NOT NULL
           ORDER BY c.lesson_id, c.position"#,
        school.0,
        &ids
    )
    .fetch_all(pool)
    .await?
    {
        if let Some(v) = MarkValue::parse(&m.value) {
            marks
                .entry((m.lesson_id, m.pupil_id))
                .or_default()
                .push(v.show());
        }
    }
    let absences = sqlx::query!(
        "SELECT a.lesson_id, a.pupil_id, a.reason
         FROM absence a JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id
         WHERE a.school_id = $1 AND l.group_id = ANY($2) AND a.absent",
        school.0,
        &ids
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|a| {
        (
            (a.lesson_id, a.pupil_id),
            a.reason.as_deref().and_then(AbsenceReason::parse),
        )
    })
    .collect();
    let period_ids: Vec<i64> = periods.iter().map(|p| p.id).collect();
    let period_marks = sqlx::query!(
        r#"SELECT group_id, pupil_id, period_id, value AS "value!" FROM period_mark
           WHERE school_id = $1 AND group_id = ANY($2) AND period_id = ANY($3)
             AND value IS NOT NULL"#,
        school.0,
        &ids,
        &period_ids
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|m| {
        (
            (m.group_id, m.pupil_id, m.period_id),
            show_period_value(&m.value),
        )
    })
    .collect();
    Ok(Journal {
        groups,
        lessons,
        pupils,
        marks,
        absences,
        period_marks,
        periods,
    })
}

const NAME_WIDTH: f32 = 42.0;
const NUMBER_WIDTH: f32 = 6.0;
/// Lesson columns side by side on a marks page.
const LESSONS_ACROSS: usize = 22;

fn day(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// The journal pages of one class (or of the groups outside classes) as a PDF.
pub fn journal_pdf(frame: &Frame<'_>, title: &str, j: &Journal) -> Result<Vec<u8>, ExportError> {
    document(title, frame, |w| {
        w.heading(14.0, title);
        w.paragraph(
            9.0,
            "Страницы журнала: отметки и пропуски по месяцам («н» — отсутствовал, УП/НП/Б — причина), темы уроков и домашние задания, отметки за периоды.",
        );
        if j.groups.is_empty() {
            w.paragraph(10.0, "Журналов нет.");
        } else {
            let rows = j
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    vec![
                        (i + 1).to_string(),
                        g.subject.clone(),
                        g.name.clone(),
                        g.teachers.clone(),
                    ]
                })
                .collect();
            w.titled_table(
                "Содержание",
                &Grid {
                    columns: vec![
                        ("№".into(), NUMBER_WIDTH),
                        ("Предмет".into(), 50.0),
                        ("Группа".into(), 50.0),
                        ("Учитель".into(), TEXT_WIDTH - 106.0),
                    ],
                    rows,
                },
            );
        }
        for g in &j.groups {
            group_pages(w, j, g);
        }
        w.running(None);
    })
}

fn group_pages(w: &mut Writer<'_>, j: &Journal, g: &GroupInfo) {
    w.running(None);
    w.page_break();
    let title = format!("{} — {}", g.subject, g.name);
    w.heading(12.0, &title);
    w.running(Some(title));
    if !g.teachers.is_empty() {
        w.paragraph(9.0, &format!("Учитель: {}", g.teachers));
    }
    let pupils: Vec<(i64, &str)> = j
        .pupils
        .iter()
        .filter(|p| p.0 == g.id)
        .map(|p| (p.1, p.2.as_str()))
        .collect();
    let lessons: Vec<&Lesson> = j.lessons.iter().filter(|l| l.group_id == g.id).collect();
    // Marks and absences, month by month.
    let mut months: BTreeMap<(i32, u32), Vec<&Lesson>> = BTreeMap::new();
    for l in &lessons {
        months
            .entry((l.date.year(), l.date.month()))
            .or_default()
            .push(l);
    }
    for ((y, m), month) in &months {
        let first = NaiveDate::from_ymd_opt(*y, *m, 1).expect("a month's first day");
        for chunk in month.chunks(LESSONS_ACROSS) {
            let width = (TEXT_WIDTH - NAME_WIDTH - NUMBER_WIDTH) / LESSONS_ACROSS as f32;
            let mut columns = vec![
                ("№".to_string(), NUMBER_WIDTH),
                ("Обучающийся".to_string(), NAME_WIDTH),
            ];
            columns.extend(
                chunk
                    .iter()
                    .map(|l| (l.date.format("%d").to_string(), width)),
            );
            let rows = pupils
                .iter()
                .enumerate()
                .map(|(i, (pupil, name))| {
                    let mut row = vec![(i + 1).to_string(), name.to_string()];
                    row.extend(chunk.iter().map(|l| cell(j, l.id, *pupil)));
                    row
                })
                .collect();
            w.titled_table(
                &format!("Отметки и посещаемость: {}", month_words(first)),
                &Grid { columns, rows },
            );
        }
    }
    // Topics and homework.
    let rows = lessons
        .iter()
        .map(|l| {
            vec![
                day(l.date),
                l.topic.clone().unwrap_or_default(),
                if l.homework_none {
                    "Не задано".to_string()
                } else {
                    l.homework.clone().unwrap_or_default()
                },
            ]
        })
        .collect();
    w.titled_table(
        "Темы уроков и домашние задания",
        &Grid {
            columns: vec![
                ("Дата".into(), 20.0),
                ("Тема урока".into(), 82.0),
                ("Домашнее задание".into(), TEXT_WIDTH - 102.0),
            ],
            rows,
        },
    );
    // Period marks.
    if !j.periods.is_empty() {
        let width = ((TEXT_WIDTH - NAME_WIDTH - NUMBER_WIDTH) / j.periods.len() as f32).min(25.0);
        let mut columns = vec![
            ("№".to_string(), NUMBER_WIDTH),
            ("Обучающийся".to_string(), NAME_WIDTH),
        ];
        columns.extend(j.periods.iter().map(|p| (p.name.clone(), width)));
        let rows = pupils
            .iter()
            .enumerate()
            .map(|(i, (pupil, name))| {
                let mut row = vec![(i + 1).to_string(), name.to_string()];
                row.extend(j.periods.iter().map(|p| {
                    j.period_marks
                        .get(&(g.id, *pupil, p.id))
                        .copied()
                        .unwrap_or("")
                        .to_string()
                }));
                row
            })
            .collect();
        w.titled_table("Отметки за периоды", &Grid { columns, rows });
    }
}

/// A cell of the marks page: the marks of the lesson's columns, «н» (with the reason) if absent.
fn cell(j: &Journal, lesson: i64, pupil: i64) -> String {
    let mut parts: Vec<&str> = j
        .marks
        .get(&(lesson, pupil))
        .map(|m| m.to_vec())
        .unwrap_or_default();
    if let Some(reason) = j.absences.get(&(lesson, pupil)) {
        parts.push(reason.map_or("н", AbsenceReason::short));
    }
    parts.join("/")
}

/// The class teacher's attendance pages: each month, pupils × days with the lessons missed, and
/// the month's totals (of them for a good reason).
pub struct Attendance {
    pupils: Vec<(i64, String)>,
    /// (pupil, day) → (lessons missed, of them excused or ill).
    missed: HashMap<(i64, NaiveDate), (u32, u32)>,
    months: Vec<NaiveDate>,
}

/// The class's attendance over the year: two queries.
pub async fn attendance(
    pool: &PgPool,
    school: SchoolId,
    class_id: i64,
    (starts_on, ends_on): (NaiveDate, NaiveDate),
) -> sqlx::Result<Attendance> {
    let pupils = sqlx::query!(
        r#"SELECT p.id, p.last_name || ' ' || p.first_name AS "name!"
           FROM class_enrollment e JOIN pupil p ON p.school_id = e.school_id AND p.id = e.pupil_id
           WHERE e.school_id = $1 AND e.class_id = $2 AND e.starts_on <= $4
             AND (e.ends_on IS NULL OR e.ends_on >= $3)
           GROUP BY p.id, p.last_name, p.first_name
           ORDER BY p.last_name, p.first_name, p.id"#,
        school.0,
        class_id,
        starts_on,
        ends_on
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.id, r.name))
    .collect();
    let missed = sqlx::query!(
        r#"SELECT a.pupil_id, l.lesson_date, count(*) AS "missed!",
                  count(*) FILTER (WHERE a.reason IN ('excused', 'ill')) AS "excused!"
           FROM absence a
           JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           WHERE a.school_id = $1 AND g.class_id = $2 AND a.absent
             AND l.lesson_date BETWEEN $3 AND $4
           GROUP BY a.pupil_id, l.lesson_date"#,
        school.0,
        class_id,
        starts_on,
        ends_on
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        (
            (r.pupil_id, r.lesson_date),
            (r.missed as u32, r.excused as u32),
        )
    })
    .collect();
    let mut months = Vec::new();
    let mut m = NaiveDate::from_ymd_opt(starts_on.year(), starts_on.month(), 1)
        .expect("a month's first day");
    while m <= ends_on {
        months.push(m);
        m = m
            .checked_add_months(chrono::Months::new(1))
            .expect("a next month");
    }
    Ok(Attendance {
        pupils,
        missed,
        months,
    })
}

pub fn attendance_pdf(
    frame: &Frame<'_>,
    title: &str,
    a: &Attendance,
) -> Result<Vec<u8>, ExportError> {
    document(title, frame, |w| {
        w.heading(14.0, title);
        w.paragraph(
            9.0,
            "В клетке — число пропущенных уроков за день; «Всего» — за месяц, «Ув.» — из них по уважительной причине или болезни.",
        );
        let day_width = (TEXT_WIDTH - NAME_WIDTH - 16.0) / 31.0;
        for month in &a.months {
            let days: Vec<NaiveDate> = month
                .iter_days()
                .take_while(|d| d.month() == month.month())
                .collect();
            let mut columns = vec![("Обучающийся".to_string(), NAME_WIDTH)];
            columns.extend(days.iter().map(|d| (d.day().to_string(), day_width)));
            columns.push(("Всего".into(), 8.0));
            columns.push(("Ув.".into(), 8.0));
            let rows = a
                .pupils
                .iter()
                .map(|(pupil, name)| {
                    let mut row = vec![name.clone()];
                    let (mut all, mut excused) = (0, 0);
                    for d in &days {
                        match a.missed.get(&(*pupil, *d)) {
                            Some((n, e)) => {
                                all += n;
                                excused += e;
                                row.push(n.to_string());
                            }
                            None => row.push(String::new()),
                        }
                    }
                    row.push(all.to_string());
                    row.push(excused.to_string());
                    row
                })
                .collect();
            w.titled_table(
                &format!("Посещаемость: {}", month_words(*month)),
                &Grid { columns, rows },
            );
        }
    })
}

/// The summary sheet (сводная ведомость) of the class: for each period, pupils × subjects.
pub fn summary_pdf(
    frame: &Frame<'_>,
    title: &str,
    sheet: &SummarySheet,
) -> Result<Vec<u8>, ExportError> {
    document(title, frame, |w| {
        w.heading(14.0, title);
        let subjects = sheet.subjects.len().max(1);
        let periods = sheet.periods.len().max(1);
        let width = ((TEXT_WIDTH - NAME_WIDTH - 24.0) / subjects as f32).min(14.0);
        for (p, period) in sheet.periods.iter().enumerate() {
            let mut columns = vec![("Обучающийся".to_string(), NAME_WIDTH)];
            columns.extend(sheet.subjects.iter().map(|s| (short(s), width)));
            columns.push(("Примечание".into(), 24.0));
            let rows = sheet
                .rows
                .iter()
                .map(|r| {
                    let mut row = vec![r.pupil.clone()];
                    row.extend(
                        (0..sheet.subjects.len()).map(|s| r.cells[s * periods + p].to_string()),
                    );
                    row.push(r.note());
                    row
                })
                .collect();
            w.titled_table(&format!("Отметки: {period}"), &Grid { columns, rows });
            if let Some(t) = sheet.totals.get(p) {
                use crate::rules::class_totals::show;
                w.paragraph(
                    9.0,
                    &format!(
                        "Обучающихся с отметками: {}; успевают: {} (успеваемость {} %); учатся на «4» и «5»: {} (качество знаний {} %); средний балл: {}.",
                        t.pupils,
                        t.progressing,
                        show(t.progress_percent),
                        t.quality,
                        show(t.quality_percent),
                        show(t.average)
                    ),
                );
            }
        }
        w.heading(10.0, "Предметы");
        w.paragraph(
            9.0,
            &sheet
                .subjects
                .iter()
                .map(|s| format!("{} — {s}", short(s)))
                .collect::<Vec<_>>()
                .join("; "),
        );
    })
}

/// A subject's head in a narrow column: its first letters.
fn short(subject: &str) -> String {
    let letters: String = subject.chars().take(6).collect();
    if letters.chars().count() < subject.chars().count() {
        format!("{letters}.")
    } else {
        letters
    }
}
