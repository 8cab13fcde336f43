//! Building the small, deliberately awkward classes the report tests count by hand: the first
//! demo school's current year, a whole-class group of a new subject taught by a given teacher.

use crate::helpers::TestApp;

/// One number from SQL with bigint parameters.
pub async fn scalar(app: &TestApp, sql: &str, binds: &[i64]) -> i64 {
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.fetch_one(&app.pool).await.unwrap()
}

/// The first demo school and its first year: (school, year).
pub async fn first_school(app: &TestApp) -> (i64, i64) {
    let school = scalar(app, "SELECT id FROM school WHERE slug = 'demo-1'", &[]).await;
    let year = scalar(
        app,
        "SELECT id FROM academic_year WHERE school_id = $1 ORDER BY starts_on LIMIT 1",
        &[school],
    )
    .await;
    (school, year)
}

/// A new subject `subject` taught to the whole class `class` (the group named `label`) by
/// `teacher`, 2 hours a week: the group's id.
pub async fn whole_class_group(
    app: &TestApp,
    (school, year): (i64, i64),
    class: i64,
    subject: &str,
    label: &str,
    teacher: i64,
) -> i64 {
    let group: i64 = sqlx::query_scalar(
        "WITH s AS (INSERT INTO subject (school_id, name, short_name) VALUES ($1, $3, left($3, 5)) RETURNING id)
         INSERT INTO study_group (school_id, academic_year_id, subject_id, kind, class_id, name)
         SELECT $1, $2, s.id, 'whole_class', $4, $5 FROM s RETURNING id",
    )
    .bind(school)
    .bind(year)
    .bind(subject)
    .bind(class)
    .bind(label)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO teaching_assignment (school_id, group_id, teacher_id, hours_per_week) VALUES ($1, $2, $3, 2)",
    )
    .bind(school)
    .bind(group)
    .bind(teacher)
    .execute(&app.pool)
    .await
    .unwrap();
    group
}
