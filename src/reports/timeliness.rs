//! The timeliness and completeness of the journal (regulations §5): per teacher, per journal and
//! for the school — lessons held; topics written on time, late, missing; homework (or «Не задано»)
//! on time, late, missing; marks entered late; written works not checked in their period; the
//! deputies' remarks on the journals and how fast they were fixed. Three set-based queries, run
//! at once.
//!
//! Lateness is not defined here a second time: «late» is the flag the journal sets when it
//! accepts an entry after its time (`rules::journal::may_write`: `lesson.late_entry` for the
//! topic, `lesson.homework_late` for homework under J7, `mark.late_entry` for marks under J1–J2
//! and J4), and «missing», «late marks» and «not checked» are the rows of the database's
//! `control_lesson_problems` (the control start page's lists) for the lessons of the dates.

use std::collections::HashMap;

use sqlx::PgPool;

use super::{Filter, fixed, short_name, whole};
use crate::error::AppResult;
use crate::exports::table::{Cell, Column, Kind, Table};
use crate::tenancy::SchoolId;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Lessons of the dates up to today, neither moved nor cancelled.
    pub lessons: i64,
    pub topics_on_time: i64,
    pub topics_late: i64,
    pub topics_missing: i64,
    pub homework_on_time: i64,
    pub homework_late: i64,
    pub homework_missing: i64,
    pub marks_late: i64,
    pub unchecked: i64,
    pub remarks: i64,
    pub remarks_fixed: i64,
    pub remarks_overdue: i64,
    /// Seconds from writing to fixing, summed over the fixed remarks.
    pub fix_seconds: i64,
}

impl Figures {
    fn add(&mut self, o: &Figures) {
        self.add_lessons(o);
        self.add_remarks(o);
    }

    fn add_lessons(&mut self, o: &Figures) {
        self.lessons += o.lessons;
        self.topics_on_time += o.topics_on_time;
        self.topics_late += o.topics_late;
        self.topics_missing += o.topics_missing;
        self.homework_on_time += o.homework_on_time;
        self.homework_late += o.homework_late;
        self.homework_missing += o.homework_missing;
        self.marks_late += o.marks_late;
        self.unchecked += o.unchecked;
    }

    fn add_remarks(&mut self, o: &Figures) {
        self.remarks += o.remarks;
        self.remarks_fixed += o.remarks_fixed;
        self.remarks_overdue += o.remarks_overdue;
        self.fix_seconds += o.fix_seconds;
    }

    /// Everything late or missing: how far behind (the sort order, worst first).
    pub fn behind(&self) -> i64 {
        self.topics_late
            + self.topics_missing
            + self.homework_late
            + self.homework_missing
            + self.marks_late
            + self.unchecked
            + self.remarks_overdue
    }

    /// The average days from a remark to its fix, in tenths rounded half up; None without fixes.
    pub fn fix_days_tenths(&self) -> Option<i64> {
        (self.remarks_fixed > 0).then(|| {
            let whole = 86_400 * self.remarks_fixed;
            (2 * 10 * self.fix_seconds + whole).div_euclid(2 * whole)
        })
    }
}

#[derive(Clone, Debug)]
pub struct TeacherLine {
    pub teacher_id: i64,
    pub name: String,
    pub figures: Figures,
}

#[derive(Clone, Debug)]
pub struct JournalLine {
    pub group_id: i64,
    pub class_name: String,
    pub subject: String,
    pub group_name: String,
    pub figures: Figures,
}

#[derive(Clone, Debug, Default)]
pub struct Timeliness {
    /// Worst first.
    pub teachers: Vec<TeacherLine>,
    /// Worst first.
    pub journals: Vec<JournalLine>,
    pub school: Figures,
}

impl Timeliness {
    pub fn table(&self, title: &str) -> Table {
        let mut t = Table {
            title: title.into(),
            columns: vec![
                Column::new("Разрез", Kind::Text),
                Column::new("Название", Kind::Text),
                Column::new("Уроков проведено", Kind::Number),
                Column::new("Темы в срок", Kind::Number),
                Column::new("Темы с опозданием", Kind::Number),
                Column::new("Темы не записаны", Kind::Number),
                Column::new("Задание в срок", Kind::Number),
                Column::new("Задание с опозданием", Kind::Number),
                Column::new("Задание не записано", Kind::Number),
                Column::new("Отметки с опозданием", Kind::Number),
                Column::new("Работы не проверены в срок", Kind::Number),
                Column::new("Замечаний", Kind::Number),
                Column::new("Исправлено", Kind::Number),
                Column::new("Просрочено", Kind::Number),
                Column::new("Дней на исправление", Kind::Number),
            ],
            rows: Vec::new(),
            notes: Vec::new(),
        };
        let row = |slice: &str, name: &str, x: &Figures| {
            vec![
                Cell::text(slice),
                Cell::text(name),
                whole(x.lessons),
                whole(x.topics_on_time),
                whole(x.topics_late),
                whole(x.topics_missing),
                whole(x.homework_on_time),
                whole(x.homework_late),
                whole(x.homework_missing),
                whole(x.marks_late),
                whole(x.unchecked),
                whole(x.remarks),
                whole(x.remarks_fixed),
                whole(x.remarks_overdue),
                fixed(x.fix_days_tenths(), 1),
            ]
        };
        for l in &self.teachers {
            t.rows.push(row("Учитель", &l.name, &l.figures));
        }
        for l in &self.journals {
            t.rows.push(row("Журнал", &l.title(), &l.figures));
        }
        t.rows.push(row("Школа", "Итого", &self.school));
        t
    }
}

impl JournalLine {
    /// «7«Т» Математика (7Т)».
    pub fn title(&self) -> String {
        if self.class_name.is_empty() {
            format!("{} ({})", self.subject, self.group_name)
        } else {
            format!("{} {} ({})", self.class_name, self.subject, self.group_name)
        }
    }
}

pub async fn report(
    pool: &PgPool,
    school: SchoolId,
    f: &Filter,
    now: chrono::NaiveDateTime,
) -> AppResult<Timeliness> {
    let today = now.date();
    let last = f.to.min(today);
    // The lessons' own figures and their problems (the control lists' rows) are two
    // statements run at once, on two connections, and met here per journal and teacher: joined
    // in one statement, the problems (the larger half) waited for the lessons.
    let lessons = sqlx::query!(
        r#"SELECT l.group_id AS "group_id!", coalesce(sb.teacher_id, l.teacher_id) AS "teacher_id!",
                  min(a.last_name) AS "last_name!", min(a.first_name) AS "first_name!",
                  min(a.middle_name) AS "middle_name!",
                  min(coalesce(c.grade || '«' || c.letter || '»', '')) AS "class_name!",
                  min(s.name) AS "subject!", min(g.name) AS "group_name!",
                  count(*) AS "lessons!",
                  count(*) FILTER (WHERE btrim(coalesce(l.topic, '')) <> '' AND NOT l.late_entry)
                      AS "topics_on_time!",
                  count(*) FILTER (WHERE btrim(coalesce(l.topic, '')) <> '' AND l.late_entry)
                      AS "topics_late!",
                  count(*) FILTER (WHERE (l.homework IS NOT NULL OR l.homework_none)
                                     AND NOT l.homework_late) AS "homework_on_time!",
                  count(*) FILTER (WHERE (l.homework IS NOT NULL OR l.homework_none)
                                     AND l.homework_late) AS "homework_late!"
           FROM lesson l
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           LEFT JOIN substitution sb ON sb.school_id = l.school_id AND sb.lesson_id = l.id
           JOIN account a ON a.id = coalesce(sb.teacher_id, l.teacher_id)
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           WHERE l.school_id = $1 AND g.academic_year_id = $2
             AND l.status IN ('scheduled', 'held') AND l.lesson_date BETWEEN $3 AND $4
             AND ($5::bigint IS NULL OR g.class_id = $5)
             AND ($6::bigint IS NULL OR g.subject_id = $6)
             AND ($7::bigint IS NULL OR coalesce(sb.teacher_id, l.teacher_id) = $7)
           GROUP BY l.group_id, coalesce(sb.teacher_id, l.teacher_id)"#,
        school.0,
        f.year_id,
        f.from,
        last,
        f.class_id,
        f.subject_id,
        f.teacher_id
    )
    .fetch_all(pool);
    // The same lessons' problems: the function's lessons are the year's scheduled and held
    // ones with their substitute as the teacher, as above.
    let problems = sqlx::query!(
        r#"SELECT p.group_id AS "group_id!", p.teacher_id AS "teacher_id!",
                  count(*) FILTER (WHERE p.kind = 'no_topic') AS "topics_missing!",
                  count(*) FILTER (WHERE p.kind = 'no_homework') AS "homework_missing!",
                  count(*) FILTER (WHERE p.kind = 'late_mark') AS "marks_late!",
                  count(*) FILTER (WHERE p.kind = 'unchecked') AS "unchecked!"
           FROM control_lesson_problems($1, $2, $5, '-infinity', $3, $4) p
           JOIN study_group g ON g.school_id = $1 AND g.id = p.group_id
           WHERE p.lesson_date BETWEEN $3 AND $4 AND p.teacher_id IS NOT NULL
             AND ($6::bigint IS NULL OR g.class_id = $6)
             AND ($7::bigint IS NULL OR g.subject_id = $7)
             AND ($8::bigint IS NULL OR p.teacher_id = $8)
           GROUP BY p.group_id, p.teacher_id"#,
        school.0,
        f.year_id,
        f.from,
        last,
        now,
        f.class_id,
        f.subject_id,
        f.teacher_id
    )
    .fetch_all(pool);
    // Remarks of the journals (written in the dates), once per teacher of the journal (only the
    // teacher asked for, if one is).
    let remarks = sqlx::query!(
        r#"SELECT g.id AS group_id, t.teacher_id AS "teacher_id?",
                  min(a.last_name) AS "last_name?", min(a.first_name) AS "first_name?",
                  min(a.middle_name) AS "middle_name?",
                  min(coalesce(c.grade || '«' || c.letter || '»', '')) AS "class_name!",
                  min(s.name) AS "subject!", min(g.name) AS "group_name!",
                  count(*) AS "remarks!", count(r.fixed_at) AS "fixed!",
                  count(*) FILTER (WHERE r.fixed_at IS NULL AND r.due_on < $5) AS "overdue!",
                  coalesce(sum(extract(epoch FROM r.fixed_at - r.created_at)), 0)::bigint AS "fix_seconds!"
           FROM journal_remark r
           JOIN school sc ON sc.id = r.school_id
           JOIN study_group g ON g.school_id = r.school_id AND g.id = r.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           LEFT JOIN teaching_assignment t ON t.school_id = g.school_id AND t.group_id = g.id
                AND ($8::bigint IS NULL OR t.teacher_id = $8)
           LEFT JOIN account a ON a.id = t.teacher_id
           WHERE r.school_id = $1 AND g.academic_year_id = $2
             AND (r.created_at AT TIME ZONE sc.time_zone)::date BETWEEN $3 AND $4
             AND ($6::bigint IS NULL OR g.class_id = $6)
             AND ($7::bigint IS NULL OR g.subject_id = $7)
             AND ($8::bigint IS NULL OR t.teacher_id IS NOT NULL)
           GROUP BY g.id, t.teacher_id"#,
        school.0,
        f.year_id,
        f.from,
        f.to,
        today,
        f.class_id,
        f.subject_id,
        f.teacher_id
    )
    .fetch_all(pool);
    // All three at once, on three connections.
    let (lessons, problems, remarks) = tokio::try_join!(lessons, problems, remarks)?;
    let problems: HashMap<(i64, i64), _> = problems
        .into_iter()
        .map(|p| ((p.group_id, p.teacher_id), p))
        .collect();

    let mut report = Timeliness::default();
    let mut teacher = |id: i64, name: String| -> usize {
        match report.teachers.iter().position(|t| t.teacher_id == id) {
            Some(i) => i,
            None => {
                report.teachers.push(TeacherLine {
                    teacher_id: id,
                    name,
                    figures: Figures::default(),
                });
                report.teachers.len() - 1
            }
        }
    };
    let mut journals: Vec<JournalLine> = Vec::new();
    let mut journal = |id: i64, class_name: &str, subject: &str, group_name: &str| -> usize {
        match journals.iter().position(|j| j.group_id == id) {
            Some(i) => i,
            None => {
                journals.push(JournalLine {
                    group_id: id,
                    class_name: class_name.into(),
                    subject: subject.into(),
                    group_name: group_name.into(),
                    figures: Figures::default(),
                });
                journals.len() - 1
            }
        }
    };
    let mut teacher_figures: Vec<(usize, Figures)> = Vec::new();
    let mut journal_figures: Vec<(usize, Figures)> = Vec::new();
    for r in lessons {
        let p = problems.get(&(r.group_id, r.teacher_id));
        let x = Figures {
            lessons: r.lessons,
            topics_on_time: r.topics_on_time,
            topics_late: r.topics_late,
            topics_missing: p.map_or(0, |p| p.topics_missing),
            homework_on_time: r.homework_on_time,
            homework_late: r.homework_late,
            homework_missing: p.map_or(0, |p| p.homework_missing),
            marks_late: p.map_or(0, |p| p.marks_late),
            unchecked: p.map_or(0, |p| p.unchecked),
            ..Figures::default()
        };
        let t = teacher(
            r.teacher_id,
            short_name(&r.last_name, &r.first_name, &r.middle_name),
        );
        teacher_figures.push((t, x));
        let j = journal(r.group_id, &r.class_name, &r.subject, &r.group_name);
        journal_figures.push((j, x));
    }
    let mut counted_groups = std::collections::HashSet::new();
    for r in remarks {
        let x = Figures {
            remarks: r.remarks,
            remarks_fixed: r.fixed,
            remarks_overdue: r.overdue,
            fix_seconds: r.fix_seconds,
            ..Figures::default()
        };
        if let (Some(id), Some(last), Some(first), Some(middle)) =
            (r.teacher_id, &r.last_name, &r.first_name, &r.middle_name)
        {
            let t = teacher(id, short_name(last, first, middle));
            teacher_figures.push((t, x));
        }
        // A journal with two teachers has a row for each: its remarks count once.
        if counted_groups.insert(r.group_id) {
            let j = journal(r.group_id, &r.class_name, &r.subject, &r.group_name);
            journal_figures.push((j, x));
        }
    }
    for (t, x) in teacher_figures {
        report.teachers[t].figures.add(&x);
    }
    for (j, x) in journal_figures {
        journals[j].figures.add(&x);
        report.school.add(&x);
    }
    report.journals = journals;
    report.teachers.sort_by(|a, b| {
        b.figures
            .behind()
            .cmp(&a.figures.behind())
            .then_with(|| a.name.cmp(&b.name))
    });
    report.journals.sort_by(|a, b| {
        b.figures
            .behind()
            .cmp(&a.figures.behind())
            .then_with(|| a.title().cmp(&b.title()))
    });
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_to_fix_a_remark_average_the_fixed_ones_to_tenths_half_up() {
        let day = 86_400;
        let x = Figures {
            remarks: 3,
            remarks_fixed: 2,
            remarks_overdue: 1,
            // 3 days and 1 day 6 hours: 4,25 days / 2 = 2,125 → 2,1.
            fix_seconds: 3 * day + day + day / 4,
            ..Figures::default()
        };
        assert_eq!(x.fix_days_tenths(), Some(21));
        let y = Figures {
            remarks_fixed: 2,
            // 2,25 days on average → 2,3 (half up).
            fix_seconds: 4 * day + day / 2,
            ..Figures::default()
        };
        assert_eq!(y.fix_days_tenths(), Some(23));
        assert_eq!(Figures::default().fix_days_tenths(), None);
        assert_eq!(x.behind(), 1);
    }
}
