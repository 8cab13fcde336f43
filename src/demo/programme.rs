//! What makes the programme-completion and control-works reports worth opening in the demo
//! (issue 13, §5): a lagging group — three lessons of the demo teacher's mathematics cancelled
//! (courses) and made up at the year's end, so its КТП is ahead of its held lessons — and a
//! leading one — grade 6 Russian given two extra lessons, its last two lessons of the year
//! cancelled instead; both teachers write the КТП topics in order at the lessons they hold. Control
//! works of the schedule already held: a work in mathematics, algebra and Russian (grades 5–11)
//! in mid-October with a «Контрольная работа ВШК» column that every pupil present writes, and one
//! scheduled on a day whose lesson was cancelled (not held). Set-based: a few statements (the works
//! go through the schedule's own service, audited).

use chrono::{Duration, NaiveDate};
use sqlx::PgPool;

use crate::audit::Actor;
use crate::authz::Access;
use crate::error::AppResult;
use crate::plans::service::{ControlWorkForm, add_control_work};
use crate::tenancy::SchoolId;

/// The demo's lagging and leading groups, if the school has them.
struct Chosen {
    lagging: Option<i64>,
    leading: Option<i64>,
}

async fn chosen(pool: &PgPool, school: SchoolId, year: i64) -> AppResult<Chosen> {
    let lagging = sqlx::query_scalar!(
        r#"SELECT g.id FROM study_group g
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           JOIN teaching_assignment t ON t.school_id = g.school_id AND t.group_id = g.id
           JOIN account a ON a.id = t.teacher_id
           WHERE g.school_id = $1 AND g.academic_year_id = $2 AND g.kind = 'whole_class'
             AND s.name = 'Математика'
           ORDER BY (a.login = 'teacher') DESC, c.grade, c.letter, g.id LIMIT 1"#,
        school.0,
        year
    )
    .fetch_optional(pool)
    .await?;
    let leading = sqlx::query_scalar!(
        r#"SELECT g.id FROM study_group g
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           WHERE g.school_id = $1 AND g.academic_year_id = $2 AND g.kind = 'whole_class'
             AND s.name = 'Русский язык' AND c.grade = 6
           ORDER BY c.letter, g.id LIMIT 1"#,
        school.0,
        year
    )
    .fetch_optional(pool)
    .await?;
    Ok(Chosen { lagging, leading })
}

/// Before the journal is filled (so the cancelled lessons stay empty and the control works'
/// columns get their marks with the rest): the lessons cancelled and added, the control works.
pub async fn before_journal(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    school: SchoolId,
    year: (i64, NaiveDate, NaiveDate),
    today: NaiveDate,
) -> AppResult<()> {
    let c = chosen(pool, school, year.0).await?;
    let mut tx = pool.begin().await?;
    crate::diary::live::quiet(&mut tx).await?;
    // Cancelled: the lagging group's first three lessons between three weeks and four days ago
    // (they keep their КТП topics: not given); the leading group's last two lessons of the year.
    let cancelled: Vec<(i64, NaiveDate)> = sqlx::query!(
        r#"WITH picked AS (
               (SELECT l.id FROM lesson l WHERE l.school_id = $1 AND l.group_id = $2
                  AND l.lesson_date BETWEEN $4::date - 20 AND $4::date - 4 AND l.status = 'scheduled'
                ORDER BY l.lesson_date, l.lesson_number LIMIT 3)
               UNION ALL
               (SELECT l.id FROM lesson l WHERE l.school_id = $1 AND l.group_id = $3
                  AND l.lesson_date > $4 AND l.status = 'scheduled'
                ORDER BY l.lesson_date DESC, l.lesson_number DESC LIMIT 2)
           )
           UPDATE lesson l SET status = 'cancelled',
                  change_reason = CASE WHEN l.group_id = $2 THEN 'Учитель на курсах повышения квалификации'
                                       ELSE 'Часы даны раньше: дополнительные уроки в ноябре' END
           FROM picked WHERE l.school_id = $1 AND l.id = picked.id
           RETURNING l.group_id, l.lesson_date"#,
        school.0,
        c.lagging,
        c.leading,
        today
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.group_id, r.lesson_date))
    .collect();
    // Added (as lesson 0, on days the group learns anyway): the lagging group's make-up lessons
    // on the days of its last three lessons of the year; the leading group's two extra lessons
    // two and three weeks ago. No КТП topic: the plan was laid before. The teacher and room of
    // the day's first lesson (DISTINCT ON rather than a LATERAL … LIMIT 1 over the days, which
    // Citus does not plan).
    sqlx::query!(
        r#"WITH days AS (
               (SELECT DISTINCT l.group_id, l.lesson_date FROM lesson l
                WHERE l.school_id = $1 AND l.group_id = $2 AND l.status = 'scheduled' AND l.lesson_date > $4
                ORDER BY l.lesson_date DESC LIMIT 3)
               UNION ALL
               (SELECT DISTINCT l.group_id, l.lesson_date FROM lesson l
                WHERE l.school_id = $1 AND l.group_id = $3 AND l.status = 'scheduled'
                  AND l.lesson_date BETWEEN $4::date - 21 AND $4::date - 8
                ORDER BY l.lesson_date LIMIT 2)
           )
           INSERT INTO lesson (school_id, group_id, lesson_date, lesson_number, teacher_id, room_id, status)
           SELECT DISTINCT ON (l.group_id, l.lesson_date)
                  l.school_id, l.group_id, l.lesson_date, 0, l.teacher_id, l.room_id, 'scheduled'
           FROM lesson l
           WHERE l.school_id = $1
             AND (l.group_id, l.lesson_date) IN (SELECT d.group_id, d.lesson_date FROM days d)
           ORDER BY l.group_id, l.lesson_date, l.lesson_number
           ON CONFLICT DO NOTHING"#,
        school.0,
        c.lagging,
        c.leading,
        today
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;

    // Control works already written: mathematics, algebra and Russian of grades 5–11 at their
    // first lesson from the 45th day of the year; and the lagging group's work on the day of its
    // first cancelled lesson.
    let first_day = year.1 + Duration::days(44);
    let mut works: Vec<(i64, NaiveDate, &str)> = sqlx::query!(
        r#"SELECT DISTINCT ON (g.id) g.id, l.lesson_date
           FROM study_group g
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           JOIN lesson l ON l.school_id = g.school_id AND l.group_id = g.id
           WHERE g.school_id = $1 AND g.academic_year_id = $2 AND g.kind = 'whole_class'
             AND s.name IN ('Математика', 'Алгебра', 'Русский язык') AND c.grade >= 5
             AND l.lesson_date BETWEEN $3 AND $4::date - 7 AND l.status = 'scheduled'
           ORDER BY g.id, l.lesson_date, l.lesson_number"#,
        school.0,
        year.0,
        first_day,
        today
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.id, r.lesson_date, "Контрольная работа за I четверть"))
    .collect();
    if let Some((group, day)) = cancelled.iter().find(|(g, _)| Some(*g) == c.lagging) {
        works.push((*group, *day, "Контрольная работа по теме"));
    }
    for (group, day, title) in &works {
        let form = ControlWorkForm {
            group: group.to_string(),
            date: day.format("%d.%m.%Y").to_string(),
            form: "контрольная работа".into(),
            title: (*title).into(),
        };
        add_control_work(pool, access, actor, year.0, &form).await?;
    }
    // The works' columns: «Контрольная работа ВШК» second at the first lesson of the day (the
    // journal's fill gives every pupil present a mark in a second column).
    sqlx::query!(
        r#"INSERT INTO mark_column (school_id, lesson_id, position, work_type_id)
           SELECT DISTINCT ON (l.id) w.school_id, l.id, 2, t.id
           FROM control_work w
           JOIN work_type t ON t.school_id = w.school_id AND t.name = 'Контрольная работа ВШК'
           JOIN lesson l ON l.school_id = w.school_id AND l.group_id = w.group_id
            AND l.lesson_date = w.work_date AND l.status = 'scheduled'
           WHERE w.school_id = $1 AND w.work_date < $2
             AND l.lesson_number = (SELECT min(l2.lesson_number) FROM lesson l2
                                    WHERE l2.school_id = w.school_id AND l2.group_id = w.group_id
                                      AND l2.lesson_date = w.work_date AND l2.status = 'scheduled')
           ON CONFLICT DO NOTHING"#,
        school.0,
        today
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// After the journal is filled: the lagging and leading groups' teachers wrote the КТП's topics
/// in order at the lessons they held (the n-th lesson held has the plan's n-th hour).
pub async fn after_journal(pool: &PgPool, school: SchoolId, year: i64) -> AppResult<()> {
    let c = chosen(pool, school, year).await?;
    let groups: Vec<i64> = [c.lagging, c.leading].into_iter().flatten().collect();
    let mut tx = pool.begin().await?;
    crate::diary::live::quiet(&mut tx).await?;
    sqlx::query!(
        r#"WITH hours AS (
               SELECT t.group_id, t.title,
                      row_number() OVER (PARTITION BY t.group_id ORDER BY t.position, n.n) AS hour
               FROM theme_plan_topic t CROSS JOIN LATERAL generate_series(1, t.hours) AS n(n)
               WHERE t.school_id = $1 AND t.group_id = ANY($2)
           ), held AS (
               SELECT l.id, l.group_id,
                      row_number() OVER (PARTITION BY l.group_id ORDER BY l.lesson_date, l.lesson_number) AS hour
               FROM lesson l
               WHERE l.school_id = $1 AND l.group_id = ANY($2) AND l.status = 'held'
           )
           UPDATE lesson l SET topic = h.title
           FROM held JOIN hours h ON h.group_id = held.group_id AND h.hour = held.hour
           WHERE l.school_id = $1 AND l.id = held.id"#,
        school.0,
        &groups
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
