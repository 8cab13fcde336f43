//! Row-level security: the database's own wall behind the `SchoolId` in every query. The
//! application's role sees only the rows of the school its connection is set to.

use sqlx::Connection;
use sqlx::postgres::PgConnection;
use zhurnal::db::scope;
use zhurnal::tenancy::SchoolId;

/// Tables of a school's data the demo fills in both schools.
const TABLES: &[&str] = &[
    "pupil",
    "school_class",
    "class_enrollment",
    "work_type",
    "academic_year",
    "audit_event",
];

async fn count(conn: &mut PgConnection, table: &str, school: Option<i64>) -> i64 {
    let sql = match school {
        Some(_) => format!("SELECT count(*) FROM {table} WHERE school_id = $1"),
        None => format!("SELECT count(*) FROM {table} WHERE $1::bigint IS NULL"),
    };
    sqlx::query_scalar(&sql)
        .bind(school)
        .fetch_one(conn)
        .await
        .unwrap()
}

/// A connection as the application's role without the pool's hook: nothing set.
async fn raw_app_connection(app: &crate::helpers::TestApp) -> PgConnection {
    let options = app.app_pool.connect_options();
    PgConnection::connect_with(&options).await.unwrap()
}

async fn schools(app: &crate::helpers::TestApp) -> (i64, i64) {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM school ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert!(ids.len() >= 2, "the demo has two schools");
    (ids[0], ids[1])
}

#[tokio::test]
async fn a_query_of_the_application_without_a_school_set_sees_no_row_of_any_school() {
    let app = crate::helpers::spawn_app().await;
    let mut owner = app.pool.acquire().await.unwrap();
    let mut raw = raw_app_connection(&app).await;
    for table in TABLES {
        assert!(
            count(&mut owner, table, None).await > 0,
            "the owner sees the demo's {table}"
        );
        assert_eq!(count(&mut raw, table, None).await, 0, "{table}");
    }
    // Nor may it write a row of any school.
    let (first, _) = schools(&app).await;
    let error = sqlx::query("INSERT INTO room (school_id, name) VALUES ($1, 'Кабинет 999')")
        .bind(first)
        .execute(&mut raw)
        .await
        .expect_err("a row with no school set");
    assert!(error.to_string().contains("row-level security"), "{error}");
}

#[tokio::test]
async fn a_connection_set_to_one_school_sees_and_writes_only_that_schools_rows() {
    let app = crate::helpers::spawn_app().await;
    let (first, second) = schools(&app).await;
    let mut owner = app.pool.acquire().await.unwrap();
    let mut raw = raw_app_connection(&app).await;
    sqlx::query("SELECT set_config('zhurnal.school', $1, false)")
        .bind(first.to_string())
        .execute(&mut raw)
        .await
        .unwrap();
    for table in TABLES {
        let mine = count(&mut owner, table, Some(first)).await;
        assert!(count(&mut owner, table, Some(second)).await > 0, "{table}");
        assert_eq!(count(&mut raw, table, None).await, mine, "{table}");
        assert_eq!(count(&mut raw, table, Some(second)).await, 0, "{table}");
    }
    // Another school's rows can be neither added, changed nor removed.
    let error = sqlx::query("INSERT INTO room (school_id, name) VALUES ($1, 'Кабинет 999')")
        .bind(second)
        .execute(&mut raw)
        .await
        .expect_err("a row of the other school");
    assert!(error.to_string().contains("row-level security"), "{error}");
    let changed = sqlx::query("UPDATE pupil SET last_name = 'Взломов' WHERE school_id = $1")
        .bind(second)
        .execute(&mut raw)
        .await
        .unwrap();
    assert_eq!(changed.rows_affected(), 0);
    let moved = sqlx::query("UPDATE work_type SET school_id = $1 WHERE school_id = $2")
        .bind(second)
        .bind(first)
        .execute(&mut raw)
        .await
        .expect_err("a row moved into the other school");
    assert!(moved.to_string().contains("row-level security"), "{moved}");
    // Its own school's rows it writes.
    sqlx::query("INSERT INTO room (school_id, name) VALUES ($1, 'Кабинет 999')")
        .bind(first)
        .execute(&mut raw)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_applications_pool_sets_each_connection_to_its_tasks_school_or_to_none() {
    let app = crate::helpers::spawn_app().await;
    let (first, second) = schools(&app).await;
    let pupils_of = |school: Option<i64>| {
        let pool = app.app_pool.clone();
        async move {
            let mut conn = pool.acquire().await.unwrap();
            count(&mut conn, "pupil", school).await
        }
    };
    let everyone = scope::all_schools(pupils_of(None)).await;
    let in_first = scope::school(SchoolId(first), pupils_of(None)).await;
    let second_from_first = scope::school(SchoolId(first), pupils_of(Some(second))).await;
    let nobody = scope::nobody(pupils_of(None)).await;
    // The same connections, taken outside any scope (fail closed), see nothing, and every
    // school again when asked for.
    let unscoped = pupils_of(None).await;
    let again = scope::all_schools(pupils_of(None)).await;
    assert!(
        in_first > 0 && in_first < everyone,
        "{in_first} of {everyone}"
    );
    assert_eq!(second_from_first, 0);
    assert_eq!(nobody, 0);
    assert_eq!(unscoped, 0);
    assert_eq!(again, everyone);
}

#[tokio::test]
async fn a_members_request_works_with_its_connection_set_to_the_members_school_only() {
    let app = crate::helpers::spawn_app().await;
    // The owner records, for each room added, the settings of the connection that added it.
    for statement in [
        "CREATE TABLE scope_probe (school text, all_schools text)",
        "CREATE FUNCTION scope_probe_record() RETURNS trigger LANGUAGE plpgsql \
         SECURITY DEFINER AS $$ BEGIN \
         INSERT INTO scope_probe VALUES (current_setting('zhurnal.school', true), \
                                         current_setting('zhurnal.all_schools', true)); \
         RETURN NULL; END $$",
        "CREATE TRIGGER scope_probe AFTER INSERT ON room \
         FOR EACH ROW EXECUTE FUNCTION scope_probe_record()",
    ] {
        sqlx::query(statement).execute(&app.pool).await.unwrap();
    }
    let deputy = app.signed_in("deputy").await;
    let html = deputy
        .post("/setup/rooms", &[("name", "214"), ("capacity", "30")])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Кабинет добавлен."));
    assert!(html.contains("214"), "the page reads its school's rooms");
    let school: i64 = sqlx::query_scalar(
        "SELECT m.school_id FROM membership m JOIN account a ON a.id = m.account_id \
         WHERE a.login = 'deputy'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let probe: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT school, all_schools FROM scope_probe")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        probe,
        vec![(Some(school.to_string()), Some("off".to_string()))]
    );
}

/// Issue 16: the sessions' pool (`db::session_pool`) reads a member's person in one call that
/// sets their school for that statement only: the person comes back with their school's
/// membership and unread messages, and the same connection afterwards sees no school's rows.
#[tokio::test]
async fn the_sessions_pool_reads_a_person_in_their_school_and_keeps_no_school_afterwards() {
    let app = crate::helpers::spawn_app().await;
    let (account, school, membership): (i64, i64, i64) = sqlx::query_as(
        "SELECT a.id, m.school_id, m.id FROM membership m JOIN account a ON a.id = m.account_id \
         WHERE a.login = 'parent'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let sessions = zhurnal::db::session_pool(&app.app_pool);
    let mut conn = sessions.acquire().await.unwrap();
    let row =
        zhurnal::auth::repo::current(&mut *conn, account, Some((SchoolId(school), membership)))
            .await
            .unwrap()
            .expect("the parent's person");
    assert_eq!(row.school_id, Some(school));
    assert_eq!(row.membership_id, Some(membership));
    assert_eq!(row.role.as_deref(), Some("parent"));
    assert!(row.school_name.is_some() && row.pupil_id.is_some());
    // The same connection afterwards.
    for table in TABLES {
        assert_eq!(count(&mut conn, table, None).await, 0, "{table}");
    }
    let setting: Option<String> =
        sqlx::query_scalar("SELECT nullif(current_setting('zhurnal.school', true), '')")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(setting, None);
    // The membership named with the other school: the account, no membership, no school.
    let (first, second) = schools(&app).await;
    let other = if school == first { second } else { first };
    let row =
        zhurnal::auth::repo::current(&mut *conn, account, Some((SchoolId(other), membership)))
            .await
            .unwrap()
            .expect("the account itself");
    assert_eq!((row.school_id, row.role), (None, None));
}

/// A table added later with a `school_id` must be walled too: every table of a school's data has
/// row security enabled and the one policy; only the tables an account reads across its schools
/// stay outside (docs/SECURITY.md).
#[tokio::test]
async fn every_table_of_a_schools_data_has_row_security_and_the_school_policy() {
    let app = crate::helpers::spawn_app().await;
    let unwalled: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = c.oid AND a.attname = 'school_id' AND NOT a.attisdropped)
           AND c.relname NOT IN ('membership', 'account_event')
           AND NOT (c.relrowsecurity
                    AND EXISTS (SELECT 1 FROM pg_policy p
                                WHERE p.polrelid = c.oid AND p.polname = 'school_wall'))
         ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        unwalled.is_empty(),
        "tables of a school's data outside the wall: {unwalled:?}"
    );
    let walled: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_policy WHERE polname = 'school_wall'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(walled > 30, "the wall covers the school's tables: {walled}");
    // One wall, written by `zhurnal_school_wall`: a table walled by hand with another expression
    // (say, the per-row `zhurnal_school_visible` on plain PostgreSQL) would differ here.
    let walls: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid)
         FROM pg_policy WHERE polname = 'school_wall'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(walls.len(), 1, "every table has the same wall: {walls:?}");
    let (using, check) = &walls[0];
    assert_eq!(using, check);
    assert!(
        using.contains("SELECT zhurnal_scope_school()"),
        "the school is read once per statement, not once per row: {using}"
    );
}
