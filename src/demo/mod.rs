//! The demo: two schools with one account per role (password `demo`), seeded deterministically
//! through the same service functions the pages use, so the audit trail is real too.

mod activity;
mod diary;
mod journal;
mod mail;
mod messages;
mod names;
mod programme;
pub mod region;
mod school_year;

pub use school_year::{FillState, fill as fill_school_year, fill_state};

use chrono::NaiveDate;
use sqlx::{Connection, PgConnection, PgPool};

use crate::accounts::repo::NewAccount;
use crate::accounts::service::{Grant, create_account};
use crate::audit::Actor;
use crate::auth::password;
use crate::authz::Role;
use crate::clock::Clock;
use crate::pupils::repo::{NewParent, link_account, set_consent};
use crate::pupils::service::add_parent_in_tx;
use crate::school_year::calendar::apply_default_calendar;
use crate::school_year::service::{NewPupil, create_class, create_year, enrol_pupil};
use crate::tenancy::SchoolId;
use crate::tenancy::service::{NewSchool, create_in_tx};

pub const SLUG_1: &str = "demo-1";
pub const SLUG_2: &str = "demo-2";
pub const PASSWORD: &str = "demo";

pub const LOGINS_HELP: &str = "\
Демо-входы (пароль у всех: demo):
  Школа № 1: director, deputy, admin, teacher, classteacher, parent, student
  Школа № 2: director2, teacher2, parent2, student2
  Оператор платформы: operator";

/// Makes the demo whole: seeds the schools if they are missing and fills the first one's year —
/// first wiping a demo whose fill was interrupted (killed half-way it would keep half a year for
/// good), which needs the owner's rights (`owner_url`) and a database holding nothing but the
/// demo.
pub async fn prepare(pool: &PgPool, owner_url: &str, clock: &dyn Clock) -> anyhow::Result<()> {
    if fill_state(pool).await? == FillState::Unfinished {
        tracing::warn!("the demo's school year was left unfinished; filling the demo again");
        wipe(pool, owner_url).await?;
    }
    seed_if_empty(pool).await?;
    if fill_school_year(pool, clock).await? {
        analyze(owner_url).await?;
    }
    Ok(())
}

/// Gathers the planner's statistics after the bulk fill, with the owner's rights (the
/// application's role may not ANALYZE tables it does not own, and autovacuum comes too late for
/// the first pages): without them the planner still sees a near-empty school and the control
/// start page's queries nest loops over the whole year (minutes a page).
pub async fn analyze(owner_url: &str) -> anyhow::Result<()> {
    let mut owner = PgConnection::connect(owner_url).await?;
    sqlx::query("ANALYZE").execute(&mut owner).await?;
    owner.close().await?;
    Ok(())
}

/// Empties every table (the audit trail too) of a database that holds only the demo.
async fn wipe(pool: &PgPool, owner_url: &str) -> anyhow::Result<()> {
    let others = sqlx::query_scalar!(
        r#"SELECT (SELECT count(*) FROM school WHERE slug NOT IN ($1, $2))
                + (SELECT count(*) FROM account WHERE is_operator AND login <> 'operator')
                AS "n!""#,
        SLUG_1,
        SLUG_2
    )
    .fetch_one(pool)
    .await?;
    anyhow::ensure!(
        others == 0,
        "учебный год демонстрационной школы заполнен не до конца (заполнение прервали), а в базе \
         есть не только демо; удалите демонстрационные школы вручную или начните с пустой базы"
    );
    let mut owner = sqlx::PgConnection::connect(owner_url).await?;
    let mut tx = owner.begin().await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I', tablename) FROM pg_tables
         WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations' ORDER BY tablename",
    )
    .fetch_all(&mut *tx)
    .await?;
    // The trail's guard against TRUNCATE is the owner's to lift, inside this transaction only.
    sqlx::query("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate")
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!(
        "TRUNCATE TABLE {} RESTART IDENTITY CASCADE",
        tables.join(", ")
    ))
    .execute(&mut *tx)
    .await?;
    sqlx::query("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_truncate")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    owner.close().await?;
    Ok(())
}

/// Seeds the demo unless the first demo school exists. Returns whether it seeded.
pub async fn seed_if_empty(pool: &PgPool) -> anyhow::Result<bool> {
    let exists = crate::tenancy::repo::slug_taken(&mut *pool.acquire().await?, SLUG_1).await?;
    if exists {
        return Ok(false);
    }
    let hash = password::hash_async(PASSWORD.to_string()).await?;
    let mut tx = pool.begin().await?;
    seed(&mut tx, &hash)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    tx.commit().await?;
    tracing::info!("demo schools seeded");
    Ok(true)
}

fn person(login: &str, full: &str) -> NewAccount {
    let mut parts = full.split(' ');
    NewAccount {
        login: login.into(),
        last_name: parts.next().unwrap_or_default().into(),
        first_name: parts.next().unwrap_or_default().into(),
        middle_name: parts.next().unwrap_or_default().into(),
        email: None,
        must_change_password: false,
        is_operator: false,
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid demo date")
}

struct DemoSchool {
    id: SchoolId,
    year_id: i64,
}

async fn school(
    tx: &mut PgConnection,
    hash: &str,
    input: NewSchool,
) -> crate::error::AppResult<DemoSchool> {
    let actor = Actor::system();
    let (id, _) = create_in_tx(tx, &actor, &input, hash, false).await?;
    let year_id = create_year(
        tx,
        id,
        &actor,
        "2026/2027",
        date(2026, 9, 1),
        date(2027, 8, 31),
    )
    .await?;
    apply_default_calendar(tx, id, &actor, year_id, date(2026, 9, 1)).await?;
    Ok(DemoSchool { id, year_id })
}

/// Enrols `count` pupils with generated names into a class; returns their ids and names.
async fn fill_class(
    tx: &mut PgConnection,
    school: SchoolId,
    class_id: i64,
    grade: i16,
    seed: usize,
    count: usize,
) -> crate::error::AppResult<Vec<(i64, names::Person)>> {
    let mut pupils = Vec::with_capacity(count);
    for i in 0..count {
        let p = names::pupil(seed * 100 + i);
        let birth = date(
            2026 - 7 - i32::from(grade),
            1 + (i % 12) as u32,
            1 + (i * 7 % 28) as u32,
        );
        let new = NewPupil {
            last_name: &p.last_name,
            first_name: &p.first_name,
            middle_name: &p.middle_name,
            birth_date: Some(birth),
            sex: Some(if p.female { "f" } else { "m" }),
        };
        let id = enrol_pupil(
            tx,
            school,
            &Actor::system(),
            &new,
            class_id,
            date(2026, 9, 1),
        )
        .await?;
        // Most pupils have a mother on record with consent; a few lack one or the consent mark.
        if i % 7 != 6 {
            let mother = names::mother(&p, seed * 100 + i);
            let parent = NewParent {
                last_name: mother.last_name.clone(),
                first_name: mother.first_name.clone(),
                middle_name: mother.middle_name.clone(),
                phone: Some(format!("+7912{:07}", seed * 100_000 + i * 37)),
                email: None,
            };
            let sys = Actor::system();
            let parent_id = add_parent_in_tx(tx, school, &sys, id, &parent, "мать").await?;
            if i % 5 != 4 {
                let given = i % 11 != 10;
                set_consent(tx, school, parent_id, given, date(2026, 9, 1)).await?;
            }
        }
        pupils.push((id, p));
    }
    Ok(pupils)
}

async fn seed(tx: &mut PgConnection, hash: &str) -> crate::error::AppResult<()> {
    let sys = Actor::system();
    let s1 = school(
        tx,
        hash,
        NewSchool {
            name: "Демонстрационная школа № 1".into(),
            short_name: "Школа № 1".into(),
            slug: SLUG_1.into(),
            time_zone: "Europe/Moscow".into(),
            admin_last_name: "Попова".into(),
            admin_first_name: "Ольга".into(),
            admin_middle_name: "Игоревна".into(),
            admin_login: "admin".into(),
        },
    )
    .await?;
    let staff = [
        ("director", "Смирнова Елена Викторовна", Role::Director),
        ("deputy", "Кузнецов Андрей Петрович", Role::Deputy),
        ("teacher", "Васильева Наталья Сергеевна", Role::Teacher),
    ];
    for (login, name, role) in staff {
        create_account(
            tx,
            s1.id,
            &sys,
            &person(login, name),
            hash,
            Grant::staff(role),
        )
        .await?;
    }
    let mut class_5b = 0;
    for (seed, (grade, letter)) in [(1, "А"), (5, "А"), (5, "Б"), (9, "А"), (11, "А")]
        .into_iter()
        .enumerate()
    {
        let class_id = create_class(tx, s1.id, &sys, s1.year_id, grade, letter).await?;
        let pupils = fill_class(tx, s1.id, class_id, grade, seed, 12).await?;
        if (grade, letter) == (5, "Б") {
            class_5b = class_id;
            family(tx, s1.id, hash, "parent", "student", "Морозов", class_id).await?;
        }
        let _ = pupils;
    }
    let class_teacher = Grant {
        role: Role::ClassTeacher,
        class_id: Some(class_5b),
        pupil_id: None,
    };
    create_account(
        tx,
        s1.id,
        &sys,
        &person("classteacher", "Соколов Дмитрий Алексеевич"),
        hash,
        class_teacher,
    )
    .await?;

    let s2 = school(
        tx,
        hash,
        NewSchool {
            name: "Демонстрационная школа № 2".into(),
            short_name: "Школа № 2".into(),
            slug: SLUG_2.into(),
            time_zone: "Asia/Yekaterinburg".into(),
            admin_last_name: "Лебедева".into(),
            admin_first_name: "Марина".into(),
            admin_middle_name: "Олеговна".into(),
            admin_login: "admin2".into(),
        },
    )
    .await?;
    for (login, name, role) in [
        ("director2", "Новиков Сергей Иванович", Role::Director),
        ("teacher2", "Фёдорова Ирина Павловна", Role::Teacher),
    ] {
        create_account(
            tx,
            s2.id,
            &sys,
            &person(login, name),
            hash,
            Grant::staff(role),
        )
        .await?;
    }
    let class_6a = create_class(tx, s2.id, &sys, s2.year_id, 6, "А").await?;
    fill_class(tx, s2.id, class_6a, 6, 9, 6).await?;
    family(tx, s2.id, hash, "parent2", "student2", "Волков", class_6a).await?;

    let operator = NewAccount {
        is_operator: true,
        ..person("operator", "Оператор Платформы")
    };
    crate::accounts::repo::insert_account(tx, &operator, hash).await?;
    Ok(())
}

/// A pupil with an account and a parent with an account.
async fn family(
    tx: &mut PgConnection,
    school: SchoolId,
    hash: &str,
    parent_login: &str,
    pupil_login: &str,
    surname: &str,
    class_id: i64,
) -> crate::error::AppResult<()> {
    let sys = Actor::system();
    let child = NewPupil {
        last_name: surname,
        first_name: "Иван",
        middle_name: "Андреевич",
        birth_date: Some(date(2015, 3, 14)),
        sex: Some("m"),
    };
    let pupil_id = enrol_pupil(tx, school, &sys, &child, class_id, date(2026, 9, 1)).await?;
    let pupil_grant = Grant {
        role: Role::Pupil,
        class_id: None,
        pupil_id: Some(pupil_id),
    };
    let pupil_account = person(pupil_login, &format!("{surname} Иван Андреевич"));
    create_account(tx, school, &sys, &pupil_account, hash, pupil_grant).await?;
    let parent_grant = Grant {
        role: Role::Parent,
        class_id: None,
        pupil_id: Some(pupil_id),
    };
    let mother = person(parent_login, &format!("{surname}а Анна Викторовна"));
    let account_id = create_account(tx, school, &sys, &mother, hash, parent_grant).await?;
    let record = NewParent {
        last_name: mother.last_name.clone(),
        first_name: mother.first_name.clone(),
        middle_name: mother.middle_name.clone(),
        phone: Some("+79120000001".into()),
        email: Some(format!("{parent_login}@example.ru")),
    };
    let parent_id = add_parent_in_tx(tx, school, &sys, pupil_id, &record, "мать").await?;
    set_consent(tx, school, parent_id, true, date(2026, 9, 1)).await?;
    link_account(tx, school, parent_id, account_id).await?;
    Ok(())
}
