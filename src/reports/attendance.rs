//! The attendance report (regulations §5): lessons and whole days missed, by reason, per pupil
//! and per class, in one query whatever the school's size. Lessons are counted per group and day
//! (a pupil in a group for the whole range gets the group's total); whole days are looked at only
//! on the days a pupil has an absence — never pupil × lesson of the whole range.
//!
//! A lesson counts when it was held: in the range, not after today, not cancelled or moved, of a
//! group the pupil was in that day. A whole day missed is a day on which the pupil missed every
//! such lesson of theirs (of every subject, whatever the subject and teacher filters, which
//! narrow only the lessons counted). Reasons: Б (ill), УП (excused), НП (unexcused), none given.
//! A teacher seeing their own journals gets the pupils of their lessons and no whole days.

use chrono::NaiveDate;
use sqlx::PgPool;

use super::Filter;
use super::{fixed, whole};
use crate::error::AppResult;
use crate::exports::table::{Cell, Column, Kind, Table};
use crate::tenancy::SchoolId;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Lessons held that the pupil should have attended.
    pub lessons: i64,
    pub missed: i64,
    pub ill: i64,
    pub excused: i64,
    pub unexcused: i64,
    pub no_reason: i64,
    pub whole_days: i64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.lessons += o.lessons;
        self.missed += o.missed;
        self.ill += o.ill;
        self.excused += o.excused;
        self.unexcused += o.unexcused;
        self.no_reason += o.no_reason;
        self.whole_days += o.whole_days;
    }

    /// Lessons missed / lessons × 100, in tenths.
    pub fn missed_tenths(&self) -> Option<i64> {
        super::percent_tenths(self.missed, self.lessons)
    }
}

#[derive(Clone, Debug)]
pub struct PupilLine {
    pub pupil_id: i64,
    pub name: String,
    pub class_label: String,
    pub counts: Counts,
}

#[derive(Clone, Debug)]
pub struct ClassLine {
    pub class_id: i64,
    pub label: String,
    pub pupils: i64,
    pub counts: Counts,
}

#[derive(Clone, Debug, Default)]
pub struct Attendance {
    pub pupils: Vec<PupilLine>,
    pub classes: Vec<ClassLine>,
    pub school: Counts,
    /// Whole days are shown to the school and the class teacher, not to a teacher seeing their
    /// own journals (they would reveal absences recorded in other teachers' journals).
    pub whole_days_shown: bool,
}

impl Attendance {
    /// The report as one table for CSV and XLSX: classes, then pupils, then the school.
    pub fn table(&self, title: &str) -> Table {
        let mut t = Table {
            title: title.into(),
            columns: vec![
                Column::new("Разрез", Kind::Text),
                Column::new("Класс", Kind::Text),
                Column::new("Обучающийся", Kind::Text),
                Column::new("Уроков", Kind::Number),
                Column::new("Пропущено уроков", Kind::Number),
                Column::new("Пропущено, %", Kind::Number),
                Column::new("Б", Kind::Number),
                Column::new("УП", Kind::Number),
                Column::new("НП", Kind::Number),
                Column::new("Без причины", Kind::Number),
                Column::new("Дней целиком", Kind::Number),
            ],
            rows: Vec::new(),
            notes: Vec::new(),
        };
        let row = |slice: &str, class: &str, pupil: &str, c: &Counts| {
            vec![
                Cell::text(slice),
                Cell::text(class),
                Cell::text(pupil),
                whole(c.lessons),
                whole(c.missed),
                fixed(c.missed_tenths(), 1),
                whole(c.ill),
                whole(c.excused),
                whole(c.unexcused),
                whole(c.no_reason),
                whole(c.whole_days),
            ]
        };
        for c in &self.classes {
            t.rows.push(row("Класс", &c.label, "", &c.counts));
        }
        for p in &self.pupils {
            t.rows
                .push(row("Обучающийся", &p.class_label, &p.name, &p.counts));
        }
        t.rows.push(row("Школа", "", "", &self.school));
        if !self.whole_days_shown {
            t.columns.pop();
            for r in &mut t.rows {
                r.pop();
            }
        }
        t
    }
}

pub async fn report(
    pool: &PgPool,
    school: SchoolId,
    f: &Filter,
    today: NaiveDate,
) -> AppResult<Attendance> {
    let last = f.to.min(today);
    // Every step below is a whole-school set operation, which hash joins do best; the planner's
    // estimates of the CTEs (one row each) would nest loops over thousands of rows (~0.4 s for a
    // quarter of the demo school against ~50 ms).
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL enable_nestloop = off")
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query!(
        r#"WITH pupils AS (
               SELECT e.pupil_id, c.id AS class_id, c.grade, c.letter
               FROM class_enrollment e
               JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
               WHERE e.school_id = $1 AND c.academic_year_id = $2
                 AND e.starts_on <= $3 AND (e.ends_on IS NULL OR e.ends_on >= $3)
                 AND ($6::bigint IS NULL OR c.id = $6)
           ), mem AS (
               -- Each pupil's time in each group, within the dates.
               SELECT gp.pupil_id, gp.group_id,
                      greatest($4, gp.starts_on) AS s, least($5, coalesce(gp.ends_on, $5)) AS e
               FROM pupils pu
               JOIN group_pupil gp ON gp.school_id = $1 AND gp.pupil_id = pu.pupil_id
               WHERE gp.starts_on <= $5 AND (gp.ends_on IS NULL OR gp.ends_on >= $4)
           ), gl AS (
               -- The lessons held per group and day: all, and those the filters count.
               SELECT l.group_id, l.lesson_date, count(*) AS n_all,
                      count(*) FILTER (WHERE ($7::bigint IS NULL OR g.subject_id = $7)
                                         AND ($8::bigint IS NULL OR l.teacher_id = $8)) AS n
               FROM lesson l
               JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
               WHERE l.school_id = $1 AND l.lesson_date BETWEEN $4 AND $5
                 AND l.status NOT IN ('moved', 'cancelled')
               GROUP BY l.group_id, l.lesson_date
           ), gt AS (
               SELECT group_id, sum(n) AS n FROM gl GROUP BY group_id
           ), lessons AS (
               -- A pupil in a group for the whole range has all its lessons; the few who came
               -- or left in between are counted day by day.
               SELECT m.pupil_id, sum(gt.n) AS n
               FROM mem m JOIN gt ON gt.group_id = m.group_id
               WHERE m.s = $4 AND m.e = $5
               GROUP BY m.pupil_id
               UNION ALL
               SELECT m.pupil_id, sum(gl.n)
               FROM mem m JOIN gl ON gl.group_id = m.group_id AND gl.lesson_date BETWEEN m.s AND m.e
               WHERE NOT (m.s = $4 AND m.e = $5)
               GROUP BY m.pupil_id
           ), missed AS (
               -- Absences at lessons held of the pupil's groups while they were in them.
               SELECT a.pupil_id, l.lesson_date, a.reason,
                      ($7::bigint IS NULL OR g.subject_id = $7)
                      AND ($8::bigint IS NULL OR l.teacher_id = $8) AS counted
               FROM absence a
               JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id
               JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
               WHERE a.school_id = $1 AND a.absent AND l.lesson_date BETWEEN $4 AND $5
                 AND l.status NOT IN ('moved', 'cancelled')
                 AND EXISTS (SELECT 1 FROM mem m
                             WHERE m.pupil_id = a.pupil_id AND m.group_id = l.group_id
                               AND l.lesson_date BETWEEN m.s AND m.e)
           ), day_missed AS (
               SELECT pupil_id, lesson_date, count(*) AS missed
               FROM missed GROUP BY pupil_id, lesson_date
           ), whole_days AS (
               -- A whole day: on a day with an absence, every lesson of the pupil's groups missed.
               SELECT t.pupil_id, count(*) AS n
               FROM (SELECT d.pupil_id, d.lesson_date, min(d.missed) AS missed, sum(gl.n_all) AS n_all
                     FROM day_missed d
                     JOIN mem m ON m.pupil_id = d.pupil_id AND d.lesson_date BETWEEN m.s AND m.e
                     JOIN gl ON gl.group_id = m.group_id AND gl.lesson_date = d.lesson_date
                     GROUP BY d.pupil_id, d.lesson_date) t
               WHERE t.missed = t.n_all
               GROUP BY t.pupil_id
           )
           SELECT p.id AS pupil_id, p.last_name || ' ' || p.first_name AS "name!",
                  pu.class_id, pu.grade::text || pu.letter AS "class_label!",
                  coalesce(t.n, 0)::bigint AS "lessons!",
                  coalesce(x.missed, 0)::bigint AS "missed!",
                  coalesce(x.ill, 0)::bigint AS "ill!",
                  coalesce(x.excused, 0)::bigint AS "excused!",
                  coalesce(x.unexcused, 0)::bigint AS "unexcused!",
                  coalesce(x.no_reason, 0)::bigint AS "no_reason!",
                  coalesce(w.n, 0)::bigint AS "whole_days!"
           FROM pupils pu
           JOIN pupil p ON p.school_id = $1 AND p.id = pu.pupil_id
           LEFT JOIN (SELECT pupil_id,
                             count(*) FILTER (WHERE counted) AS missed,
                             count(*) FILTER (WHERE counted AND reason = 'ill') AS ill,
                             count(*) FILTER (WHERE counted AND reason = 'excused') AS excused,
                             count(*) FILTER (WHERE counted AND reason = 'unexcused') AS unexcused,
                             count(*) FILTER (WHERE counted AND reason IS NULL) AS no_reason
                      FROM missed GROUP BY pupil_id) x ON x.pupil_id = pu.pupil_id
           LEFT JOIN whole_days w ON w.pupil_id = pu.pupil_id
           LEFT JOIN (SELECT pupil_id, sum(n) AS n FROM lessons GROUP BY pupil_id) t
                  ON t.pupil_id = pu.pupil_id
           ORDER BY pu.grade, pu.letter, p.last_name, p.first_name, p.id"#,
        school.0,
        f.year_id,
        f.on_day,
        f.from,
        last,
        f.class_id,
        f.subject_id,
        f.teacher_id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut report = Attendance {
        whole_days_shown: !f.own_journals,
        ..Attendance::default()
    };
    for r in rows {
        if f.own_journals && r.lessons == 0 {
            // Not a pupil of the teacher's journals in these dates.
            continue;
        }
        let counts = Counts {
            lessons: r.lessons,
            missed: r.missed,
            ill: r.ill,
            excused: r.excused,
            unexcused: r.unexcused,
            no_reason: r.no_reason,
            whole_days: if f.own_journals { 0 } else { r.whole_days },
        };
        report.school.add(&counts);
        if report
            .classes
            .last()
            .is_none_or(|c| c.class_id != r.class_id)
        {
            report.classes.push(ClassLine {
                class_id: r.class_id,
                label: r.class_label.clone(),
                pupils: 0,
                counts: Counts::default(),
            });
        }
        if let Some(c) = report.classes.last_mut() {
            c.pupils += 1;
            c.counts.add(&counts);
        }
        report.pupils.push(PupilLine {
            pupil_id: r.pupil_id,
            name: r.name,
            class_label: r.class_label,
            counts,
        });
    }
    Ok(report)
}
