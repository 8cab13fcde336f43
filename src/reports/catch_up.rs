//! What a pupil has to catch up (regulations §5: «missed lessons with the topics missed» and
//! «unsatisfactory marks with their topics», per pupil), in three queries whatever the school's
//! size: the pupils, their absences at held lessons with the lessons' topics, their «2» and
//! незачёт with the topic of the lesson the mark was given at.
//!
//! An entry counts when it is in the range, not after today, in a group the pupil was in that day
//! while enrolled in a class of the year (a withdrawn pupil's stray entries after leaving are not
//! shown); an absence only at a lesson that took place (not cancelled, not moved). The subject and
//! teacher filters narrow the journals (a teacher: the groups assigned to them); a teacher seeing
//! their own journals gets only the lessons and marks of their groups. The five-point scale has no
//! «1» (`rules::grading::Scale`, the mark values of the journal): unsatisfactory is «2», and
//! незачёт on the pass/fail scale.

use chrono::NaiveDate;
use sqlx::PgPool;

use super::{Filter, whole};
use crate::error::AppResult;
use crate::exports::table::{Cell, Column, Kind, Table};
use crate::journal::AbsenceReason;
use crate::tenancy::SchoolId;

/// A lesson the pupil missed.
#[derive(Clone, Debug)]
pub struct Missed {
    pub lesson_id: i64,
    pub group_id: i64,
    pub date: NaiveDate,
    pub number: i16,
    pub subject: String,
    /// None or blank: «тема не записана».
    pub topic: Option<String>,
    pub reason: Option<AbsenceReason>,
}

impl Missed {
    /// «Б», «УП», «НП» or «—» when the class teacher has not given one.
    pub fn reason_text(&self) -> &'static str {
        self.reason.map_or("—", AbsenceReason::short)
    }

    pub fn topic_text(&self) -> String {
        topic_text(&self.topic)
    }
}

/// An unsatisfactory mark.
#[derive(Clone, Debug)]
pub struct Failed {
    /// The lesson of the mark's column; none for a mark brought with a document (J16).
    pub lesson_id: Option<i64>,
    pub number: Option<i16>,
    pub group_id: i64,
    pub date: NaiveDate,
    pub subject: String,
    pub work_type: String,
    /// «2» or «незачёт».
    pub value: String,
    pub topic: Option<String>,
}

impl Failed {
    pub fn topic_text(&self) -> String {
        match self.lesson_id {
            Some(_) => topic_text(&self.topic),
            None => "отметка по справке".into(),
        }
    }

    fn value_cell(&self) -> Cell {
        match self.value.parse::<f64>() {
            Ok(n) => Cell::Number(n),
            Err(_) => Cell::text(&self.value),
        }
    }
}

const NO_TOPIC: &str = "тема не записана";

fn topic_text(topic: &Option<String>) -> String {
    match topic.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => NO_TOPIC.into(),
    }
}

fn no_topic(topic: &Option<String>) -> bool {
    topic.as_deref().is_none_or(|t| t.trim().is_empty())
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Pupils with anything to catch up.
    pub pupils: i64,
    pub missed: i64,
    /// Missed lessons whose topic is not written.
    pub missed_no_topic: i64,
    pub failed: i64,
}

impl Totals {
    fn add(&mut self, o: &Totals) {
        self.pupils += o.pupils;
        self.missed += o.missed;
        self.missed_no_topic += o.missed_no_topic;
        self.failed += o.failed;
    }
}

#[derive(Clone, Debug)]
pub struct PupilLine {
    pub pupil_id: i64,
    pub name: String,
    pub class_id: i64,
    pub class_label: String,
    pub missed: Vec<Missed>,
    pub failed: Vec<Failed>,
    pub totals: Totals,
}

#[derive(Clone, Debug)]
pub struct ClassLine {
    pub class_id: i64,
    pub label: String,
    pub totals: Totals,
}

#[derive(Clone, Debug, Default)]
pub struct CatchUp {
    /// Only pupils with something to catch up, by class and name.
    pub pupils: Vec<PupilLine>,
    /// Every class of the pupils counted, with nothing to catch up as zeros.
    pub classes: Vec<ClassLine>,
    pub school: Totals,
}

impl CatchUp {
    /// The report as one table for CSV and XLSX: classes, then each pupil's total followed by
    /// their missed lessons and marks, then the school.
    pub fn table(&self, title: &str) -> Table {
        let mut t = Table {
            title: title.into(),
            columns: vec![
                Column::new("Строка", Kind::Text),
                Column::new("Класс", Kind::Text),
                Column::new("Обучающийся", Kind::Text),
                Column::new("Дата", Kind::Date),
                Column::new("Урок", Kind::Number),
                Column::new("Предмет", Kind::Text),
                Column::new("Вид работы", Kind::Text),
                Column::new("Отметка", Kind::Number),
                Column::new("Причина", Kind::Text),
                Column::new("Тема", Kind::Text),
                Column::new("Пропущено уроков", Kind::Number),
                Column::new("Из них без темы", Kind::Number),
                Column::new("Неудовлетворительных отметок", Kind::Number),
            ],
            rows: Vec::new(),
            notes: Vec::new(),
        };
        let total = |slice: &str, class: &str, pupil: &str, x: &Totals| {
            let mut row = vec![Cell::text(slice), Cell::text(class), Cell::text(pupil)];
            row.extend(std::iter::repeat_n(Cell::Empty, 7));
            row.extend([whole(x.missed), whole(x.missed_no_topic), whole(x.failed)]);
            row
        };
        for c in &self.classes {
            t.rows.push(total("Класс", &c.label, "", &c.totals));
        }
        for p in &self.pupils {
            t.rows
                .push(total("Обучающийся", &p.class_label, &p.name, &p.totals));
            for m in &p.missed {
                let mut row = vec![
                    Cell::text("Пропуск"),
                    Cell::text(&p.class_label),
                    Cell::text(&p.name),
                    Cell::Date(m.date),
                    whole(i64::from(m.number)),
                    Cell::text(&m.subject),
                    Cell::Empty,
                    Cell::Empty,
                    Cell::text(m.reason_text()),
                    Cell::text(m.topic_text()),
                ];
                row.extend(std::iter::repeat_n(Cell::Empty, 3));
                t.rows.push(row);
            }
            for f in &p.failed {
                let mut row = vec![
                    Cell::text("Отметка"),
                    Cell::text(&p.class_label),
                    Cell::text(&p.name),
                    Cell::Date(f.date),
                    f.number.map_or(Cell::Empty, |n| whole(i64::from(n))),
                    Cell::text(&f.subject),
                    Cell::text(&f.work_type),
                    f.value_cell(),
                    Cell::Empty,
                    Cell::text(f.topic_text()),
                ];
                row.extend(std::iter::repeat_n(Cell::Empty, 3));
                t.rows.push(row);
            }
        }
        t.rows.push(total("Школа", "", "", &self.school));
        t
    }
}

pub async fn report(
    pool: &PgPool,
    school: SchoolId,
    f: &Filter,
    today: NaiveDate,
) -> AppResult<CatchUp> {
    let last = f.to.min(today);
    let pupils = sqlx::query!(
        r#"SELECT p.id, p.last_name || ' ' || p.first_name AS "name!", c.id AS class_id,
                  c.grade::text || c.letter AS "class_label!"
           FROM class_enrollment e
           JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
           JOIN pupil p ON p.school_id = e.school_id AND p.id = e.pupil_id
           WHERE e.school_id = $1 AND c.academic_year_id = $2
             AND e.starts_on <= $3 AND (e.ends_on IS NULL OR e.ends_on >= $3)
             AND ($4::bigint IS NULL OR c.id = $4)
           ORDER BY c.grade, c.letter, p.last_name, p.first_name, p.id"#,
        school.0,
        f.year_id,
        f.on_day,
        f.class_id
    )
    .fetch_all(pool)
    .await?;
    let ids: Vec<i64> = pupils.iter().map(|p| p.id).collect();
    // The absences and the failing marks at once, on two connections.
    // The teacher's EXISTS names the school by `$1`, not `g.school_id`, so that Citus routes
    // both statements (docs/SCALE.md, «Statements Citus does not route»).
    let missed = sqlx::query!(
        r#"SELECT a.pupil_id, l.id AS lesson_id, l.group_id, l.lesson_date, l.lesson_number,
                  s.name AS subject, l.topic, a.reason
           FROM absence a
           JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id
           JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE a.school_id = $1 AND a.pupil_id = ANY($2) AND a.absent
             AND l.lesson_date BETWEEN $3 AND $4
             AND l.status NOT IN ('moved', 'cancelled')
             AND g.academic_year_id = $7
             AND ($5::bigint IS NULL OR g.subject_id = $5)
             AND ($6::bigint IS NULL OR EXISTS (
                     SELECT 1 FROM teaching_assignment t
                     WHERE t.school_id = $1 AND t.group_id = g.id AND t.teacher_id = $6))
             AND EXISTS (SELECT 1 FROM group_pupil gp
                         WHERE gp.school_id = l.school_id AND gp.group_id = l.group_id
                           AND gp.pupil_id = a.pupil_id AND gp.starts_on <= l.lesson_date
                           AND (gp.ends_on IS NULL OR gp.ends_on >= l.lesson_date))
             AND EXISTS (SELECT 1 FROM class_enrollment e
                         JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
                         WHERE e.school_id = a.school_id AND e.pupil_id = a.pupil_id
                           AND c.academic_year_id = $7 AND e.starts_on <= l.lesson_date
                           AND (e.ends_on IS NULL OR e.ends_on >= l.lesson_date))
           -- By pupil first: the rows are grouped by pupil, and a pupil's own rows rarely tie
           -- on date and lesson, so the subject's name (a Russian-collation comparison) is
           -- seldom compared.
           ORDER BY a.pupil_id, l.lesson_date, l.lesson_number, s.name"#,
        school.0,
        &ids,
        f.from,
        last,
        f.subject_id,
        f.teacher_id,
        f.year_id
    )
    .fetch_all(pool);
    let failed = sqlx::query!(
        // The range's failing marks with their lessons first, as a set (the partial index
        // `mark_failing`, hash joins); then the membership tests on those few. Written as one
        // join, the planner guessed a hundred rows behind the membership tests and probed the
        // column, lesson and enrolment indexes once per mark (6 400 in the demo's quarter).
        r#"WITH f AS MATERIALIZED (
               SELECT m.id, m.pupil_id, m.group_id, m.given_on, l.id AS lesson_id,
                      l.lesson_number, l.topic, s.name AS subject, w.name AS work_type, m.value
               FROM mark m
               JOIN study_group g ON g.school_id = m.school_id AND g.id = m.group_id
               JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
               JOIN work_type w ON w.school_id = m.school_id AND w.id = m.work_type_id
               LEFT JOIN mark_column mc ON mc.school_id = m.school_id AND mc.id = m.column_id
               LEFT JOIN lesson l ON l.school_id = mc.school_id AND l.id = mc.lesson_id
               WHERE m.school_id = $1 AND m.pupil_id = ANY($2) AND m.value IN ('2', 'fail')
                 AND m.given_on BETWEEN $3 AND $4
                 AND g.academic_year_id = $7
                 AND ($5::bigint IS NULL OR g.subject_id = $5)
                 AND ($6::bigint IS NULL OR EXISTS (
                         SELECT 1 FROM teaching_assignment t
                         WHERE t.school_id = $1 AND t.group_id = g.id AND t.teacher_id = $6))
           )
           SELECT f.pupil_id AS "pupil_id!", f.group_id AS "group_id!", f.given_on AS "given_on!",
                  f.lesson_id AS "lesson_id?", f.lesson_number AS "lesson_number?",
                  f.topic AS "topic?", f.subject AS "subject!",
                  f.work_type AS "work_type!", f.value AS "value!"
           FROM f
           WHERE EXISTS (SELECT 1 FROM group_pupil gp
                         WHERE gp.school_id = $1 AND gp.group_id = f.group_id
                           AND gp.pupil_id = f.pupil_id AND gp.starts_on <= f.given_on
                           AND (gp.ends_on IS NULL OR gp.ends_on >= f.given_on))
             AND EXISTS (SELECT 1 FROM class_enrollment e
                         JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
                         WHERE e.school_id = $1 AND e.pupil_id = f.pupil_id
                           AND c.academic_year_id = $7 AND e.starts_on <= f.given_on
                           AND (e.ends_on IS NULL OR e.ends_on >= f.given_on))
           ORDER BY f.pupil_id, f.given_on, f.lesson_number NULLS LAST, f.subject, f.id"#,
        school.0,
        &ids,
        f.from,
        last,
        f.subject_id,
        f.teacher_id,
        f.year_id
    )
    .fetch_all(pool);
    let (missed, failed) = tokio::try_join!(missed, failed)?;

    let mut by_pupil: std::collections::HashMap<i64, (Vec<Missed>, Vec<Failed>)> =
        std::collections::HashMap::new();
    for m in missed {
        by_pupil.entry(m.pupil_id).or_default().0.push(Missed {
            lesson_id: m.lesson_id,
            group_id: m.group_id,
            date: m.lesson_date,
            number: m.lesson_number,
            subject: m.subject,
            topic: m.topic,
            reason: m.reason.as_deref().and_then(AbsenceReason::parse),
        });
    }
    for m in failed {
        by_pupil.entry(m.pupil_id).or_default().1.push(Failed {
            lesson_id: m.lesson_id,
            number: m.lesson_number,
            group_id: m.group_id,
            date: m.given_on,
            subject: m.subject,
            work_type: m.work_type,
            value: if m.value == "fail" {
                "незачёт".into()
            } else {
                m.value
            },
            topic: m.topic,
        });
    }
    let mut report = CatchUp::default();
    for p in pupils {
        if report
            .classes
            .last()
            .is_none_or(|c| c.class_id != p.class_id)
        {
            report.classes.push(ClassLine {
                class_id: p.class_id,
                label: p.class_label.clone(),
                totals: Totals::default(),
            });
        }
        let Some((missed, failed)) = by_pupil.remove(&p.id) else {
            continue;
        };
        let totals = Totals {
            pupils: 1,
            missed: missed.len() as i64,
            missed_no_topic: missed.iter().filter(|m| no_topic(&m.topic)).count() as i64,
            failed: failed.len() as i64,
        };
        report.school.add(&totals);
        if let Some(c) = report.classes.last_mut() {
            c.totals.add(&totals);
        }
        report.pupils.push(PupilLine {
            pupil_id: p.id,
            name: p.name,
            class_id: p.class_id,
            class_label: p.class_label,
            missed,
            failed,
            totals,
        });
    }
    if f.own_journals {
        // A teacher sees the classes their journals touched, not every class of the school.
        report.classes.retain(|c| c.totals.pupils > 0);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_topic_reads_as_not_written() {
        assert_eq!(topic_text(&None), NO_TOPIC);
        assert_eq!(topic_text(&Some("  ".into())), NO_TOPIC);
        assert_eq!(topic_text(&Some("Дроби".into())), "Дроби");
        assert!(no_topic(&Some(" ".into())) && !no_topic(&Some("Дроби".into())));
    }
}
