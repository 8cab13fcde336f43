//! «Готовность к учебному году»: everything still missing or inconsistent in a year's setup,
//! each item with the page that fixes it (regulations §2: the year is set up by September 5).
//! A handful of set-based queries, however large the school.

use chrono::NaiveDate;
use sqlx::PgPool;

use crate::school_year::calendar::year_calendar;
use crate::tenancy::SchoolId;

/// One thing to fix, and where.
#[derive(Debug, Clone)]
pub struct Item {
    pub text: String,
    pub href: String,
}

/// A section of the check with its items (empty: all is well).
#[derive(Debug, Clone)]
pub struct Section {
    pub title: &'static str,
    pub items: Vec<Item>,
    /// How many more items there are than listed.
    pub more: i64,
}

const LIST: usize = 30;

fn section(title: &'static str, mut items: Vec<Item>) -> Section {
    let more = items.len().saturating_sub(LIST) as i64;
    items.truncate(LIST);
    Section { title, items, more }
}

struct ClassFacts {
    id: i64,
    name: String,
    has_teacher: bool,
    pupils: i64,
    lines: i64,
}

/// A problem and the id of the page (class or group) that fixes it.
struct Mismatch {
    target: i64,
    text: String,
}

struct PupilGap {
    pupil_id: i64,
    text: String,
}

/// The readiness of a year, section by section.
pub async fn check(
    pool: &PgPool,
    school: SchoolId,
    year_id: i64,
    on: NaiveDate,
) -> crate::error::AppResult<Vec<Section>> {
    let calendar = year_calendar(pool, school, year_id).await?;
    let year_href = format!("/setup/years/{year_id}");
    let mut sections = vec![section(
        "Календарь: периоды, каникулы, звонки",
        calendar
            .problems
            .iter()
            .map(|p| Item {
                text: p.clone(),
                href: year_href.clone(),
            })
            .collect(),
    )];

    // What the year holds at all: a year with nothing in it is not ready on any count (issue 15,
    // item 12), though none of the lists below would name a problem.
    let held = sqlx::query!(
        r#"SELECT
             (SELECT count(*) FROM curriculum_line l
              JOIN school_class c ON c.school_id = l.school_id AND c.id = l.class_id
              WHERE l.school_id = $1 AND c.academic_year_id = $2) AS "lines!",
             (SELECT count(*) FROM timetable_slot x
              JOIN study_group g ON g.school_id = x.school_id AND g.id = x.group_id
              WHERE x.school_id = $1 AND g.academic_year_id = $2) AS "slots!",
             (SELECT count(*) FROM study_group g
              WHERE g.school_id = $1 AND g.academic_year_id = $2) AS "groups!",
             (SELECT count(*) FROM class_enrollment e
              JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
              WHERE e.school_id = $1 AND c.academic_year_id = $2 AND e.ends_on IS NULL) AS "pupils!""#,
        school.0,
        year_id
    )
    .fetch_one(pool)
    .await?;
    let classes_href = format!("/classes?year={year_id}");
    let missing = |text: &str| Item {
        text: text.to_string(),
        href: classes_href.clone(),
    };

    let classes = sqlx::query_as!(
        ClassFacts,
        r#"SELECT c.id, c.grade || c.letter AS "name!",
                  EXISTS (SELECT 1 FROM membership m WHERE m.school_id = $1 AND m.class_id = c.id
                          AND m.role = 'class_teacher' AND m.revoked_at IS NULL) AS "has_teacher!",
                  (SELECT count(*) FROM class_enrollment e WHERE e.school_id = $1 AND e.class_id = c.id
                     AND e.ends_on IS NULL) AS "pupils!",
                  (SELECT count(*) FROM curriculum_line l WHERE l.school_id = $1 AND l.class_id = c.id) AS "lines!"
           FROM school_class c WHERE c.school_id = $1 AND c.academic_year_id = $2
           ORDER BY c.grade, c.letter"#,
        school.0,
        year_id
    )
    .fetch_all(pool)
    .await?;
    let mut class_items = Vec::new();
    if classes.is_empty() {
        class_items.push(Item {
            text: "В учебном году нет классов.".into(),
            href: format!("/classes?year={year_id}"),
        });
    }
    for c in &classes {
        let href = format!("/classes/{}", c.id);
        if !c.has_teacher {
            class_items.push(Item {
                text: format!("{}: не назначен классный руководитель.", c.name),
                href: href.clone(),
            });
        }
        if c.pupils == 0 {
            class_items.push(Item {
                text: format!("{}: нет обучающихся.", c.name),
                href: href.clone(),
            });
        }
        if c.lines == 0 {
            class_items.push(Item {
                text: format!("{}: нет учебного плана.", c.name),
                href: format!("{href}/curriculum"),
            });
        }
    }
    sections.push(section("Классы", class_items));

    // Load against curriculum: a group without a teacher or with other hours.
    let load = sqlx::query_as!(
        Mismatch,
        r#"SELECT c.id AS target,
                  c.grade || c.letter || ', ' || s.name || ', ' || g.name || ': ' ||
                  CASE WHEN t.id IS NULL THEN 'не назначен учитель'
                       ELSE 'по нагрузке ' || trim(to_char(t.hours_per_week, 'FM990.9'), '.') || ' ч, по учебному плану '
                            || trim(to_char(l.hours_per_week, 'FM990.9'), '.') || ' ч' END || '.' AS "text!"
           FROM curriculum_line l
           JOIN school_class c ON c.school_id = l.school_id AND c.id = l.class_id
           JOIN subject s ON s.school_id = l.school_id AND s.id = l.subject_id
           JOIN study_group g ON g.school_id = l.school_id AND g.class_id = l.class_id AND g.subject_id = l.subject_id
           LEFT JOIN teaching_assignment t ON t.school_id = g.school_id AND t.group_id = g.id
           WHERE l.school_id = $1 AND c.academic_year_id = $2
             AND (t.id IS NULL OR t.hours_per_week <> l.hours_per_week)
           ORDER BY c.grade, c.letter, s.name, g.name"#,
        school.0,
        year_id
    )
    .fetch_all(pool)
    .await?;
    let mut load_items: Vec<Item> = load
        .into_iter()
        .map(|m| Item {
            href: format!("/classes/{}/curriculum", m.target),
            text: m.text,
        })
        .collect();
    if held.lines == 0 {
        load_items.insert(
            0,
            missing("Учебного плана нет ни у одного класса: задайте предметы и часы, затем нагрузку учителей."),
        );
    }
    sections.push(section("Учебный план и нагрузка", load_items));

    // Timetable against curriculum: weekly lessons of each group on `on`.
    let timetable = sqlx::query_as!(
        Mismatch,
        r#"SELECT c.id AS target,
                  c.grade || c.letter || ', ' || s.name || ', ' || g.name || ': в расписании '
                  || (SELECT count(*) FROM timetable_slot x WHERE x.school_id = $1 AND x.group_id = g.id
                        AND x.valid_from <= $3 AND (x.valid_to IS NULL OR x.valid_to >= $3))
                  || ' ч, по учебному плану ' || trim(to_char(l.hours_per_week, 'FM990.9'), '.') || ' ч.' AS "text!"
           FROM curriculum_line l
           JOIN school_class c ON c.school_id = l.school_id AND c.id = l.class_id
           JOIN subject s ON s.school_id = l.school_id AND s.id = l.subject_id
           JOIN study_group g ON g.school_id = l.school_id AND g.class_id = l.class_id AND g.subject_id = l.subject_id
           WHERE l.school_id = $1 AND c.academic_year_id = $2
             AND (SELECT count(*) FROM timetable_slot x WHERE x.school_id = $1 AND x.group_id = g.id
                    AND x.valid_from <= $3 AND (x.valid_to IS NULL OR x.valid_to >= $3)) <> round(l.hours_per_week)
           ORDER BY c.grade, c.letter, s.name, g.name"#,
        school.0,
        year_id,
        on
    )
    .fetch_all(pool)
    .await?;
    let mut timetable_items: Vec<Item> = timetable
        .into_iter()
        .map(|m| Item {
            href: format!("/classes/{}/timetable", m.target),
            text: m.text,
        })
        .collect();
    if held.slots == 0 {
        timetable_items.insert(
            0,
            missing("Расписание не составлено: в учебном году нет ни одного урока в расписании."),
        );
    }
    sections.push(section("Расписание", timetable_items));

    let empty_groups = sqlx::query_as!(
        Mismatch,
        r#"SELECT g.id AS target, s.name || ', ' || g.name || ': в группе нет обучающихся.' AS "text!"
           FROM study_group g JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           WHERE g.school_id = $1 AND g.academic_year_id = $2 AND g.kind <> 'whole_class'
             AND NOT EXISTS (SELECT 1 FROM group_member m WHERE m.school_id = g.school_id AND m.group_id = g.id
                               AND (m.ends_on IS NULL OR m.ends_on >= $3))
           ORDER BY s.name, g.name"#,
        school.0,
        year_id,
        on
    )
    .fetch_all(pool)
    .await?;
    let mut group_items: Vec<Item> = empty_groups
        .into_iter()
        .map(|m| Item {
            href: format!("/groups/{}", m.target),
            text: m.text,
        })
        .collect();
    if held.groups == 0 {
        group_items.insert(
            0,
            missing("В учебном году нет учебных групп: они появляются из учебного плана классов."),
        );
    }
    sections.push(section("Подгруппы, потоки, элективы", group_items));

    // КТП: every group of the curriculum has one, with as many hours as it has lessons.
    let plans = sqlx::query_as!(
        Mismatch,
        r#"SELECT g.id AS target,
                  c.grade || c.letter || ', ' || s.name || ', ' || g.name || ': ' ||
                  CASE WHEN t.hours IS NULL THEN 'нет КТП'
                       ELSE 'в КТП ' || t.hours || ' ч, уроков по расписанию ' || n.lessons END || '.' AS "text!"
           FROM study_group g
           JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
           JOIN subject s ON s.school_id = g.school_id AND s.id = g.subject_id
           LEFT JOIN LATERAL (SELECT sum(x.hours) AS hours FROM theme_plan_topic x
                              WHERE x.school_id = $1 AND x.group_id = g.id) t ON true
           LEFT JOIN LATERAL (SELECT count(*) AS lessons FROM lesson l
                              WHERE l.school_id = $1 AND l.group_id = g.id AND l.status <> 'cancelled') n ON true
           WHERE g.school_id = $1 AND g.academic_year_id = $2
             AND (t.hours IS NULL OR (n.lessons > 0 AND t.hours <> n.lessons))
           ORDER BY c.grade, c.letter, s.name, g.name"#,
        school.0,
        year_id
    )
    .fetch_all(pool)
    .await?;
    let mut plan_items: Vec<Item> = plans
        .into_iter()
        .map(|m| Item {
            href: format!("/groups/{}/plan", m.target),
            text: m.text,
        })
        .collect();
    if held.groups == 0 {
        plan_items.insert(
            0,
            missing("КТП нет: их пишут учителя групп, а групп в учебном году ещё нет."),
        );
    }
    sections.push(section("КТП", plan_items));

    let families = sqlx::query_as!(
        PupilGap,
        r#"SELECT p.id AS pupil_id,
                  c.grade || c.letter || ', ' || p.last_name || ' ' || p.first_name || ': ' ||
                  CASE WHEN NOT EXISTS (SELECT 1 FROM pupil_parent pp WHERE pp.school_id = $1 AND pp.pupil_id = p.id)
                       THEN 'нет сведений о родителях'
                       ELSE 'нет отметки о согласии на обработку персональных данных' END || '.' AS "text!"
           FROM class_enrollment e
           JOIN school_class c ON c.school_id = e.school_id AND c.id = e.class_id
           JOIN pupil p ON p.school_id = e.school_id AND p.id = e.pupil_id
           WHERE e.school_id = $1 AND c.academic_year_id = $2 AND e.ends_on IS NULL
             AND (NOT EXISTS (SELECT 1 FROM pupil_parent pp WHERE pp.school_id = $1 AND pp.pupil_id = p.id)
                  OR EXISTS (SELECT 1 FROM pupil_parent pp JOIN parent pa ON pa.school_id = pp.school_id AND pa.id = pp.parent_id
                             WHERE pp.school_id = $1 AND pp.pupil_id = p.id AND pa.pd_consent IS NULL))
           ORDER BY c.grade, c.letter, p.last_name, p.first_name"#,
        school.0,
        year_id
    )
    .fetch_all(pool)
    .await?;
    let mut family_items: Vec<Item> = families
        .into_iter()
        .map(|g| Item {
            href: format!("/pupils/{}", g.pupil_id),
            text: g.text,
        })
        .collect();
    if held.pupils == 0 {
        family_items.insert(
            0,
            missing("В классах учебного года нет обучающихся: зачислите их или загрузите список."),
        );
    }
    sections.push(section("Обучающиеся и родители", family_items));
    Ok(sections)
}
