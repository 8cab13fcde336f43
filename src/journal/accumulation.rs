//! J11 accumulation of marks over many journals at once: the facts the journal grid feeds
//! `rules::journal::accumulation_gap` (the current period's held lessons, the pupils of the group,
//! their marks and absences, the holidays of the grade, the school's rule), loaded for every
//! selected journal in nine set-based queries (ten from `SPLIT_FROM` journals: the marks in two
//! halves), on up to four connections at once, and the pure rule applied in memory. The
//! teacher's start page (`today::accumulation_alerts`), the accumulation report and the control
//! start page all ask this one function, so they agree with the journal page.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sqlx::PgPool;

use crate::rules::calendar::Span;
use crate::rules::journal::{self as rules, AccumulationRule, Attended, Gap};
use crate::tenancy::SchoolId;

/// Marks given at a lesson (none: from elsewhere) and how many.
type Given = (Option<i64>, i64);

/// Which journals: every condition given narrows the choice (a teacher: the groups they teach).
#[derive(Clone, Copy, Debug, Default)]
pub struct Selection {
    pub year_id: Option<i64>,
    pub class_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub teacher_id: Option<i64>,
}

/// A pupil of a journal with the rule's verdict.
#[derive(Clone, Debug)]
pub struct PupilMarks {
    pub pupil_id: i64,
    pub name: String,
    /// Held lessons of the period so far the pupil attended (was in the group and not absent).
    pub attended: i64,
    /// Marks of the period so far.
    pub marks: i64,
    /// The rule's complaint (too few marks, or attended lessons in a row without a mark).
    pub gap: Option<Gap>,
}

impl PupilMarks {
    /// Fewer marks than the rule needs by now (not counting the «in a row» complaint).
    pub fn short(&self) -> bool {
        self.gap.as_ref().is_some_and(|g| g.has < g.required)
    }
}

/// A journal (group) in its current period with its pupils.
#[derive(Clone, Debug)]
pub struct Journal {
    pub group_id: i64,
    pub class_id: Option<i64>,
    /// «7«Т»», empty for a group without a class.
    pub class_name: String,
    pub grade: i16,
    pub subject: String,
    pub group_name: String,
    pub teachers: String,
    /// Whole hours a week (the largest teaching load of the group, at least 1), as the grid.
    pub hours: i64,
    pub period: Span,
    /// Full weeks of the period gone by on the day asked.
    pub weeks: i64,
    /// Marks the rule requires by now from a pupil who attended enough lessons.
    pub required: i64,
    /// Marks a period mark needs.
    pub min_marks: i64,
    pub pupils: Vec<PupilMarks>,
}

impl Journal {
    /// «7«Т» Математика (7Т)».
    pub fn title(&self) -> String {
        if self.class_name.is_empty() {
            format!("{} ({})", self.subject, self.group_name)
        } else {
            format!("{} {} ({})", self.class_name, self.subject, self.group_name)
        }
    }

    pub fn short(&self) -> usize {
        self.pupils.iter().filter(|p| p.short()).count()
    }
}

/// The journals of `selection` with marks (not of grade 1, not a «no marks» subject) that have
/// a study period containing `day`, each with its pupils on `day` and the J11 verdict for them.
pub async fn journals(
    pool: &PgPool,
    school: SchoolId,
    selection: Selection,
    day: NaiveDate,
) -> sqlx::Result<Vec<Journal>> {
    let mut conn = pool.acquire().await?;
    // Subqueries name the school by `$1`, not the outer row's column: Citus routes it (SCALE.md).
    let groups = sqlx::query!(
        r#"SELECT g.id AS group_id, g.name, s.name AS subject, g.academic_year_id, g.class_id,
                  coalesce(c.grade || '«' || c.letter || '»', '') AS "class_name!",
                  gr.grade AS "grade!", p.starts_on, p.ends_on,
                  coalesce(ta.hours, 10) AS "hours!", coalesce(ta.names, '') AS "teachers!"
           FROM study_group g
           -- The journal's teachers, by the index on its assignments, for the journals chosen
           -- only. A teacher's or a class's journals are read on a generic plan (their start
           -- pages, `web::cached_plans`), which took the school's assignments grouped once
           -- (a subquery or a CTE) for a handful of rows and scanned them again for each
           -- journal: the statement 1.6 → 0.35 ms for the demo teacher, 1.8–3.0 → 0.6–1.3 ms for
           -- the demo class; for the whole school 5.2 → 9.1 ms (planned for its values).
           LEFT JOIN LATERAL (
               SELECT (max(t.hours_per_week) * 10)::integer AS hours,
                      string_agg(a.last_name || ' ' || left(a.first_name, 1) || '.', ', '
                                 ORDER BY a.last_name) AS names
               FROM teaching_assignment t JOIN account a ON a.id = t.teacher_id
               WHERE t.school_id = $1 AND t.group_id = g.id) ta ON true
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           LEFT JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           CROSS JOIN LATERAL (
               SELECT coalesce(c.grade, min(ts.grade), 5)::smallint AS grade FROM timetable_slot ts
               WHERE ts.school_id = $1 AND ts.group_id = g.id) gr
           JOIN period_scheme ps ON ps.school_id = g.school_id AND ps.academic_year_id = g.academic_year_id
                AND gr.grade BETWEEN ps.grade_from AND ps.grade_to
           JOIN study_period p ON p.school_id = ps.school_id AND p.scheme_id = ps.id
                AND $2 BETWEEN p.starts_on AND p.ends_on
           WHERE g.school_id = $1 AND coalesce(s.scale, '') <> 'no_marks' AND gr.grade > 1
             AND ($3::bigint IS NULL OR g.academic_year_id = $3)
             AND ($4::bigint IS NULL OR g.class_id = $4)
             AND ($5::bigint IS NULL OR g.subject_id = $5)
             AND ($6::bigint IS NULL OR EXISTS (
                  SELECT 1 FROM teaching_assignment t
                  WHERE t.school_id = $1 AND t.group_id = g.id AND t.teacher_id = $6))
           ORDER BY c.grade NULLS LAST, c.letter, s.name, g.name, g.id"#,
        school.0,
        day,
        selection.year_id,
        selection.class_id,
        selection.subject_id,
        selection.teacher_id
    )
    .fetch_all(&mut *conn)
    .await?;
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = groups.iter().map(|g| g.group_id).collect();
    let earliest = groups.iter().map(|g| g.starts_on).min().unwrap_or(day);
    // Each journal's facts from its own period's start: a half-year journal must not drag a
    // quarter journal's marks of September along.
    let starts: Vec<NaiveDate> = groups.iter().map(|g| g.starts_on).collect();
    // Marks of the period so far, read from a covering index (migration 20261203000001) and
    // counted here: for a whole school's quarter (~90,000 marks) grouping them by pupil in SQL
    // cost twice the reading. They come one row a journal, its marks' pupils and columns (none:
    // a mark from elsewhere) in two arrays: a row a mark cost the server more to decode than the
    // database to read. Each journal's arrays are made by its own aggregate (a lateral
    // subquery walking the index for that journal): grouped by a hash over all the marks, the
    // arrays cost as much again as reading them (EXPLAIN ANALYZE: 50 → 23 ms). The columns'
    // lessons come apart, for the held lessons only: joined per mark, the planner (which cannot
    // see how many groups the arrays hold) probed the column index once a mark — 190 ms of the
    // report's 320 against 15 ms.
    let marks = async {
        if ids.len() < SPLIT_FROM {
            return journal_marks(pool, school, &ids, &starts, day).await;
        }
        // A whole school's journals in two halves at once (alternate journals, so that each
        // half has about as many marks).
        let half = |parity: usize| -> (Vec<i64>, Vec<NaiveDate>) {
            ids.iter()
                .zip(&starts)
                .enumerate()
                .filter(|(i, _)| i % 2 == parity)
                .map(|(_, (id, start))| (*id, *start))
                .unzip()
        };
        let ((ids_a, starts_a), (ids_b, starts_b)) = (half(0), half(1));
        let (mut a, b) = tokio::try_join!(
            journal_marks(pool, school, &ids_a, &starts_a, day),
            journal_marks(pool, school, &ids_b, &starts_b, day)
        )?;
        a.extend(b);
        Ok(a)
    };
    // The rest in two chains on two more connections: the held lessons and their columns; the
    // pupils, their names, absences, holidays and the school's rule. The first chain owns the
    // connection the groups came on and gives it back when done: no connection is held while
    // another is waited for (a full pool would wait on itself).
    let (ids_ref, starts_ref) = (&ids, &starts);
    let held_lessons = async move {
        let (ids, starts) = (ids_ref, starts_ref);
        let lessons = sqlx::query!(
            r#"SELECT l.id, l.group_id, l.lesson_date FROM lesson l
               JOIN unnest($2::bigint[], $3::date[]) AS j(group_id, starts_on) ON j.group_id = l.group_id
               WHERE l.school_id = $1 AND l.lesson_date BETWEEN j.starts_on AND $4
                 AND l.status NOT IN ('moved', 'cancelled')
               ORDER BY l.group_id, l.lesson_date, l.lesson_number"#,
            school.0,
            &ids[..],
            &starts[..],
            day
        )
        .fetch_all(&mut *conn)
        .await?;
        let held: Vec<i64> = lessons.iter().map(|l| l.id).collect();
        let columns = sqlx::query!(
            "SELECT c.id, c.lesson_id FROM mark_column c WHERE c.school_id = $1 AND c.lesson_id = ANY($2)",
            school.0,
            &held
        )
        .fetch_all(&mut *conn)
        .await?;
        Ok::<_, sqlx::Error>((lessons, columns))
    };
    let people = async {
        let mut conn = pool.acquire().await?;
        // The pupils' spans in the groups, then their names apart, in the order of the names:
        // sorting the spans by name (collated) cost more than reading them.
        let pupils = sqlx::query!(
            r#"SELECT gp.group_id AS "group_id!", gp.pupil_id AS "pupil_id!",
                      min(gp.starts_on) AS "starts_on!",
                      max(coalesce(gp.ends_on, '9999-12-31'::date)) AS "ends_on!"
               FROM group_pupil gp
               WHERE gp.school_id = $1 AND gp.group_id = ANY($2)
                 AND gp.starts_on <= $3 AND (gp.ends_on IS NULL OR gp.ends_on >= $3)
               GROUP BY gp.group_id, gp.pupil_id"#,
            school.0,
            &ids,
            day
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut pupil_ids: Vec<i64> = pupils.iter().map(|p| p.pupil_id).collect();
        pupil_ids.sort_unstable();
        pupil_ids.dedup();
        let names = sqlx::query!(
            r#"SELECT p.id, p.last_name || ' ' || p.first_name AS "name!" FROM pupil p
               WHERE p.school_id = $1 AND p.id = ANY($2)
               ORDER BY 2, 1"#,
            school.0,
            &pupil_ids
        )
        .fetch_all(&mut *conn)
        .await?;
        let absences = sqlx::query!(
            r#"SELECT a.lesson_id, a.pupil_id
               FROM absence a
               JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id
               JOIN unnest($2::bigint[], $3::date[]) AS j(group_id, starts_on) ON j.group_id = l.group_id
               WHERE a.school_id = $1 AND l.lesson_date BETWEEN j.starts_on AND $4 AND a.absent"#,
            school.0,
            &ids,
            &starts,
            day
        )
        .fetch_all(&mut *conn)
        .await?;
        let holidays = sqlx::query!(
            "SELECT academic_year_id, grade_from, grade_to, starts_on, ends_on FROM holiday
             WHERE school_id = $1 AND kind <> 'public' AND ends_on >= $2 AND starts_on <= $3",
            school.0,
            earliest,
            day
        )
        .fetch_all(&mut *conn)
        .await?;
        let settings = sqlx::query!(
            "SELECT accumulation_min_marks_one_hour, accumulation_min_marks_more_hours,
                    accumulation_grace_weeks, accumulation_grace_weeks_one_hour
             FROM school WHERE id = $1",
            school.0
        )
        .fetch_one(&mut *conn)
        .await?;
        Ok::<_, sqlx::Error>((pupils, names, absences, holidays, settings))
    };
    let ((lessons, columns), (pupils, names, absences, holidays, settings), marks) =
        tokio::try_join!(held_lessons, people, marks)?;
    let lesson_of: HashMap<i64, i64> = columns.iter().map(|c| (c.id, c.lesson_id)).collect();
    let rule = AccumulationRule {
        min_marks_one_hour: i64::from(settings.accumulation_min_marks_one_hour),
        min_marks_more_hours: i64::from(settings.accumulation_min_marks_more_hours),
        grace_weeks: i64::from(settings.accumulation_grace_weeks),
        grace_weeks_one_hour: i64::from(settings.accumulation_grace_weeks_one_hour),
    };

    let absent: HashSet<(i64, i64)> = absences.iter().map(|a| (a.lesson_id, a.pupil_id)).collect();
    let mut lessons_of: HashMap<i64, Vec<(i64, NaiveDate)>> = HashMap::new();
    for l in &lessons {
        lessons_of
            .entry(l.group_id)
            .or_default()
            .push((l.id, l.lesson_date));
    }
    // (group, pupil) → marks given in the period so far, per lesson.
    let mut marks_of: HashMap<(i64, i64), Vec<Given>> = HashMap::new();
    for journal in &marks {
        for (&pupil, column) in journal.pupils.iter().zip(&journal.columns) {
            // A column of a moved or cancelled lesson counts as a mark from elsewhere.
            let lesson = column.and_then(|c| lesson_of.get(&c).copied());
            let given = marks_of.entry((journal.group_id, pupil)).or_default();
            match given.iter_mut().find(|(l, _)| *l == lesson) {
                Some((_, n)) => *n += 1,
                None => given.push((lesson, 1)),
            }
        }
    }
    // Each pupil's place in the order of the names, and the name.
    let named: HashMap<i64, (usize, &str)> = names
        .iter()
        .enumerate()
        .map(|(place, p)| (p.id, (place, p.name.as_str())))
        .collect();
    let mut pupils_of: HashMap<i64, Vec<_>> = HashMap::new();
    for p in &pupils {
        if let Some(&(place, name)) = named.get(&p.pupil_id) {
            pupils_of
                .entry(p.group_id)
                .or_default()
                .push((place, name, p));
        }
    }
    for group in pupils_of.values_mut() {
        group.sort_unstable_by_key(|(place, _, _)| *place);
    }
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let period = Span::new(g.starts_on, g.ends_on);
        let own: Vec<(i64, NaiveDate)> = lessons_of
            .get(&g.group_id)
            .map(|v| {
                v.iter()
                    .filter(|(_, d)| period.contains(*d))
                    .copied()
                    .collect()
            })
            .unwrap_or_default();
        let breaks: Vec<Span> = holidays
            .iter()
            .filter(|h| {
                h.academic_year_id == g.academic_year_id
                    && (h.grade_from..=h.grade_to).contains(&g.grade)
            })
            .map(|h| Span::new(h.starts_on, h.ends_on))
            .collect();
        let dates: Vec<NaiveDate> = own.iter().map(|(_, d)| *d).collect();
        let after = rules::after_holidays(&dates, &breaks);
        let hours = i64::from((g.hours + 9) / 10).max(1);
        let weeks = rules::weeks_into(period, day);
        let mut journal_pupils = Vec::new();
        for &(_, name, p) in pupils_of.get(&g.group_id).into_iter().flatten() {
            let given: &[Given] = marks_of
                .get(&(g.group_id, p.pupil_id))
                .map_or(&[], Vec::as_slice);
            let marked: HashSet<i64> = given.iter().filter_map(|(l, _)| *l).collect();
            let count: i64 = given.iter().map(|(_, n)| n).sum();
            let lived: Vec<Attended> = own
                .iter()
                .zip(&after)
                .filter(|((_, date), _)| *date >= p.starts_on && *date <= p.ends_on)
                .map(|((id, _), &after_holidays)| Attended {
                    present: !absent.contains(&(*id, p.pupil_id)),
                    marked: marked.contains(id),
                    after_holidays,
                })
                .collect();
            journal_pupils.push(PupilMarks {
                pupil_id: p.pupil_id,
                name: name.to_string(),
                attended: lived.iter().filter(|l| l.present).count() as i64,
                marks: count,
                gap: rules::accumulation_gap(&rule, hours, weeks, &lived, count),
            });
        }
        out.push(Journal {
            group_id: g.group_id,
            class_id: g.class_id,
            class_name: g.class_name,
            grade: g.grade,
            subject: g.subject,
            group_name: g.name,
            teachers: g.teachers,
            hours,
            period,
            weeks,
            required: rule.required_by(hours, weeks),
            min_marks: rule.min_marks(hours),
            pupils: journal_pupils,
        });
    }
    Ok(out)
}

/// Journals from which their marks are read in two halves at once.
const SPLIT_FROM: usize = 40;

/// A journal's marks of its period so far: one entry a mark, its pupil and its column (none: a
/// mark from elsewhere).
struct JournalMarks {
    group_id: i64,
    pupils: Vec<i64>,
    columns: Vec<Option<i64>>,
}

/// The marks of the journals `ids`, each from its period's first day (`starts`) to `day`.
async fn journal_marks(
    pool: &PgPool,
    school: SchoolId,
    ids: &[i64],
    starts: &[NaiveDate],
    day: NaiveDate,
) -> sqlx::Result<Vec<JournalMarks>> {
    sqlx::query_as!(
        JournalMarks,
        r#"SELECT j.group_id AS "group_id!", x.pupils AS "pupils!",
                  x.columns AS "columns!: Vec<Option<i64>>"
           FROM unnest($2::bigint[], $3::date[]) AS j(group_id, starts_on)
           CROSS JOIN LATERAL (
               SELECT array_agg(m.pupil_id) AS pupils, array_agg(m.column_id) AS columns
               FROM mark m
               WHERE m.school_id = $1 AND m.group_id = j.group_id AND m.value IS NOT NULL
                 AND m.given_on BETWEEN j.starts_on AND $4) x
           WHERE x.pupils IS NOT NULL"#,
        school.0,
        ids,
        starts,
        day
    )
    .fetch_all(pool)
    .await
}
