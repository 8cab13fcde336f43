//! Issue 17, item 1: the region generator (`zhurnal demo --schools N`, `demo::region`) on the
//! test database's seeded demo: the copy is a school of its own — walled off from the template
//! by the application and by row security — and its audit chain verifies.

use reqwest::StatusCode;
use zhurnal::db::scope;
use zhurnal::tenancy::SchoolId;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_region_of_two_schools_gives_the_second_its_own_pupils_logins_and_a_chain_that_verifies()
{
    let app = spawn_app().await;
    let made = zhurnal::demo::region::copy_schools(&app.owner_url, 2, |_, _, _| {})
        .await
        .expect("the region is generated");
    assert_eq!(made.len(), 1, "one school copied");
    let copy = made[0].school.0;
    let template: i64 = sqlx::query_scalar("SELECT id FROM school WHERE slug = 'demo-1'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let slug: String = sqlx::query_scalar("SELECT slug FROM school WHERE id = $1")
        .bind(copy)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(slug, "region-002");

    // Its own pupils: a share of the template's (kept with their families), renamed.
    let count = |school: i64| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pupil WHERE school_id = $1")
                .bind(school)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let (mine, theirs) = (count(copy).await, count(template).await);
    assert!(mine > 0 && mine <= theirs, "{mine} of {theirs} pupils");
    assert_eq!(made[0].pupils, mine);
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT last_name || ' ' || first_name FROM pupil WHERE school_id = $1 ORDER BY 1",
    )
    .bind(copy)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let template_names: Vec<String> = sqlx::query_scalar(
        "SELECT last_name || ' ' || first_name FROM pupil WHERE school_id = $1 ORDER BY 1",
    )
    .bind(template)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_ne!(
        names, template_names,
        "the copy's pupils have names of their own"
    );

    // Logins are unique and carry the school's suffix; the template's are untouched.
    let duplicated: i64 =
        sqlx::query_scalar("SELECT count(*) - count(DISTINCT login) FROM account")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(duplicated, 0);
    assert_eq!(zhurnal::demo::region::login("director", 2), "director-r002");

    // The copy's director sees the copy's pupils, and a pupil of the template is not found.
    let own: i64 = sqlx::query_scalar("SELECT min(id) FROM pupil WHERE school_id = $1")
        .bind(copy)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let other: i64 = sqlx::query_scalar("SELECT min(id) FROM pupil WHERE school_id = $1")
        .bind(template)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let director = app.signed_in("director-r002").await;
    let (status, _) = director.text(&format!("/pupils/{own}")).await;
    assert_eq!(status, StatusCode::OK, "the copy's own pupil");
    let (status, page) = director.text(&format!("/pupils/{other}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the template's pupil: {page}"
    );
    let template_director = app.signed_in("director").await;
    let (status, _) = template_director.text(&format!("/pupils/{own}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "and the other way round");

    // Row security: the application's role set to the copy sees none of the template's pupils.
    let seen: Vec<i64> = scope::school(
        SchoolId(copy),
        sqlx::query_scalar("SELECT DISTINCT school_id FROM pupil").fetch_all(&app.app_pool),
    )
    .await
    .unwrap();
    assert_eq!(seen, vec![copy]);

    // Every school's chain verifies with the product's own command; the copy's ends with the
    // generator's event.
    let mut out = Vec::new();
    let verified =
        scope::all_schools(zhurnal::cli::audit_verify(&app.app_pool, None, &mut out)).await;
    let text = String::from_utf8(out).unwrap();
    assert!(verified.is_ok(), "{text}");
    assert_eq!(text.matches("цепочка цела").count(), 3, "{text}");
    let last: String = sqlx::query_scalar(
        "SELECT action FROM audit_event WHERE school_id = $1 ORDER BY chain_seq DESC LIMIT 1",
    )
    .bind(copy)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(last, "demo.region_school");
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE school_id = $1")
        .bind(copy)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(events > 10, "the template's history came along: {events}");

    // Generating again adds nothing.
    let again = zhurnal::demo::region::copy_schools(&app.owner_url, 2, |_, _, _| {})
        .await
        .unwrap();
    assert!(again.is_empty());
}
