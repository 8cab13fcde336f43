//! Regulations §6: the year's sealed archive — the director makes it in the background, every
//! class's journal, attendance and summary sheet as A4 PDFs with a manifest signed with the
//! school's key; `zhurnal archive verify` finds every change; the ZIP holds the same files; the
//! director and the deputies only; another school's archive is not found.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::awkward::{first_school, scalar};
use crate::helpers::{Client, TestApp, spawn_app};

/// What the test wrote into the first class's journal, to find on the printed pages.
struct Written {
    pupil: String,
    topic: &'static str,
    homework: &'static str,
    class: String,
}

const TOPIC: &str = "Сложение дробей с разными знаменателями";
const HOMEWORK: &str = "Параграф 12, задачи 3 и 5";

/// A held lesson of the first class's first whole-class group with a topic and homework, a «5»
/// for its first pupil and the second absent; a period mark «4» for the first pupil.
async fn write_journal(app: &TestApp) -> Written {
    let (school, year) = first_school(app).await;
    let lesson = scalar(
        app,
        "SELECT l.id FROM lesson l JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
         JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
         WHERE l.school_id = $1 AND g.academic_year_id = $2 AND g.kind = 'whole_class'
           AND l.status = 'scheduled'
         ORDER BY c.grade, c.letter, g.id, l.lesson_date LIMIT 1",
        &[school, year],
    )
    .await;
    sqlx::query("UPDATE lesson SET status = 'held', topic = $2, homework = $3 WHERE id = $1")
        .bind(lesson)
        .bind(TOPIC)
        .bind(HOMEWORK)
        .execute(&app.pool)
        .await
        .unwrap();
    let column = scalar(
        app,
        "INSERT INTO mark_column (school_id, lesson_id, position, work_type_id)
         SELECT l.school_id, l.id, 1, (SELECT min(id) FROM work_type w WHERE w.school_id = l.school_id)
         FROM lesson l WHERE l.id = $1 RETURNING id",
        &[lesson],
    )
    .await;
    let pupils: Vec<(i64, String)> = sqlx::query_as(
        "SELECT p.id, p.last_name FROM group_pupil gp JOIN lesson l ON l.group_id = gp.group_id
         JOIN pupil p ON p.school_id = gp.school_id AND p.id = gp.pupil_id
         WHERE l.id = $1 ORDER BY p.last_name, p.first_name, p.id LIMIT 2",
    )
    .bind(lesson)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO mark (school_id, group_id, pupil_id, column_id, work_type_id, value, given_on, entered_by, entered_at)
         SELECT c.school_id, l.group_id, $2, c.id, c.work_type_id, '5', l.lesson_date, l.teacher_id, now()
         FROM mark_column c JOIN lesson l ON l.school_id = c.school_id AND l.id = c.lesson_id WHERE c.id = $1",
    )
    .bind(column)
    .bind(pupils[0].0)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO absence (school_id, lesson_id, pupil_id, entered_by, entered_at)
         SELECT school_id, id, $2, teacher_id, now() FROM lesson WHERE id = $1",
    )
    .bind(lesson)
    .bind(pupils[1].0)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO period_mark (school_id, group_id, period_id, pupil_id, value, set_by, set_at)
         SELECT l.school_id, l.group_id, p.id, $2, '4', l.teacher_id, now()
         FROM lesson l JOIN study_group g ON g.school_id = l.school_id AND g.id = l.group_id
         JOIN school_class c ON c.school_id = g.school_id AND c.id = g.class_id
         JOIN period_scheme ps ON ps.school_id = l.school_id AND ps.academic_year_id = g.academic_year_id
              AND c.grade BETWEEN ps.grade_from AND ps.grade_to
         JOIN study_period p ON p.school_id = ps.school_id AND p.scheme_id = ps.id
              AND l.lesson_date BETWEEN p.starts_on AND p.ends_on
         WHERE l.id = $1",
    )
    .bind(lesson)
    .bind(pupils[0].0)
    .execute(&app.pool)
    .await
    .unwrap();
    let class: String = sqlx::query_scalar(
        "SELECT c.grade || c.letter FROM lesson l JOIN study_group g ON g.id = l.group_id
         JOIN school_class c ON c.id = g.class_id WHERE l.id = $1",
    )
    .bind(lesson)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    Written {
        pupil: pupils[0].1.clone(),
        topic: TOPIC,
        homework: HOMEWORK,
        class,
    }
}

/// The year's end as the school's calendar has it.
async fn year_ends_on(app: &TestApp) -> NaiveDate {
    let (_, year) = first_school(app).await;
    sqlx::query_scalar("SELECT ends_on FROM academic_year WHERE id = $1")
        .bind(year)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// June 2 of the year's last calendar year, at noon in Moscow.
async fn june(app: &TestApp) {
    let ends = year_ends_on(app).await;
    use chrono::Datelike;
    app.clock.set(
        Utc.with_ymd_and_hms(ends.year(), 6, 2, 9, 0, 0)
            .single()
            .unwrap(),
    );
}

/// The director starts the first year's archive; waits until it is made. Its id and directory.
async fn make(app: &TestApp, director: &Client) -> (i64, PathBuf) {
    let (school, year) = first_school(app).await;
    let r = director
        .post("/archive", &[("year_id", &year.to_string())])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("Архив создаётся"), "{page}");
    for _ in 0..600 {
        let (id, status): (i64, String) = sqlx::query_as(
            "SELECT id, status FROM archive WHERE school_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(school)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if status != "running" {
            assert_eq!(status, "done", "the archive is made");
            let dir = app
                .data_dir
                .join("archives")
                .join(school.to_string())
                .join(year.to_string())
                .join(id.to_string());
            return (id, dir);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the archive was not made within two minutes");
}

fn pdf_text(path: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    String::from_utf8(out.stdout).unwrap()
}

fn pdf_info(path: &Path) -> String {
    let out = std::process::Command::new("pdfinfo")
        .arg(path)
        .output()
        .expect("pdfinfo (poppler-utils) is installed");
    String::from_utf8(out.stdout).unwrap()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// `zhurnal archive verify DIR [--key KEY]`: (succeeded, what it printed). The command prints
/// `seal::report` and exits with its verdict; it is called in process, since the shared build
/// directory's `zhurnal` binary may be another worktree's.
fn verify(dir: &Path, key: Option<&str>) -> (bool, String) {
    zhurnal::archive::seal::report(dir, key)
}

/// The public key the settings page shows for printing.
async fn printed_key(director: &Client) -> String {
    let (status, page) = director.text("/admin/settings").await;
    assert_eq!(status, StatusCode::OK);
    let at = page
        .find("Открытый ключ (Ed25519): <code>")
        .expect("the key is shown")
        + "Открытый ключ (Ed25519): <code>".len();
    page[at..at + 64].to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn s6_the_years_archive_prints_every_class_on_a4_pages_signed_and_verified() {
    // 5«Б» learns mathematics: its lessons are generated for the year.
    let j = crate::journal::maths_5b().await;
    let app = &j.app;
    let written = write_journal(app).await;
    let director = app.signed_in("director").await;
    let (school, year) = first_school(app).await;

    // Before June 1 of an open year: refused next to the year, nothing started.
    let r = director
        .post("/archive", &[("year_id", &year.to_string())])
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().await.unwrap();
    assert!(page.contains("можно создать с 01.06."), "{page}");
    assert!(
        page.contains(&format!("<option value=\"{year}\" selected")),
        "{page}"
    );
    assert_eq!(scalar(app, "SELECT count(*) FROM archive", &[]).await, 0);

    june(app).await;
    let (id, dir) = make(app, &director).await;

    // Every class has its journal, attendance and summary sheet, the manifest lists them all.
    let classes: Vec<String> = sqlx::query_scalar(
        "SELECT grade || letter FROM school_class WHERE school_id = $1 AND academic_year_id = $2",
    )
    .bind(school)
    .bind(year)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(!classes.is_empty());
    let m = manifest(&dir);
    let listed: BTreeSet<String> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    for c in &classes {
        for kind in ["journal", "attendance", "summary"] {
            assert!(listed.contains(&format!("{c}/{kind}.pdf")), "{listed:?}");
        }
    }
    assert_eq!(m["school_id"], school);
    assert_eq!(m["year"], "2026/2027");
    assert!(m["made_at"].as_str().unwrap().starts_with("2027-06-02"));
    // The audit chain's head when the archive was made: a link of the school's chain.
    let head = m["audit_chain_head"].as_str().expect("the chain head");
    let (seq, hash) = head.split_once(':').expect("number:hash");
    let linked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event
         WHERE school_id = $1 AND chain_seq = $2 AND encode(chain_hash, 'hex') = $3",
    )
    .bind(m["school_id"].as_i64().unwrap())
    .bind(seq.parse::<i64>().unwrap())
    .bind(hash)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(linked, 1, "{head}");

    // Retention: the journal 5 years, the summary sheet 25 years from the year's end.
    let ends = year_ends_on(app).await;
    for f in m["files"].as_array().unwrap() {
        let years = if f["kind"] == "summary" { 25 } else { 5 };
        let until = ends
            .checked_add_months(chrono::Months::new(12 * years))
            .unwrap();
        assert_eq!(f["retain_until"], until.to_string(), "{f}");
        // The manifest's hashes and sizes are the files'.
        let bytes = std::fs::read(dir.join(f["path"].as_str().unwrap())).unwrap();
        assert_eq!(f["sha256"], format!("{:x}", Sha256::digest(&bytes)));
        assert_eq!(f["size"], bytes.len());
        assert!(bytes.starts_with(b"%PDF"));
    }

    // The pages: A4, numbered, the school's name, the director's line, what was written.
    let school_name: String = sqlx::query_scalar("SELECT name FROM school WHERE id = $1")
        .bind(school)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let journal_path = dir.join(format!("{}/journal.pdf", written.class));
    assert!(pdf_info(&journal_path).contains("(A4)"));
    let journal = pdf_text(&journal_path);
    for expected in [
        "Стр. 1 из",
        "Директор ____",
        "Учебный год 2026/2027",
        "Темы уроков и домашние задания",
        "Отметки за периоды",
        written.pupil.as_str(),
        written.topic,
        written.homework,
    ] {
        assert!(journal.contains(expected), "{expected} in the journal");
    }
    let first_school_words: String = school_name
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        journal.contains(&first_school_words),
        "{first_school_words}"
    );
    let pupil_line = journal
        .lines()
        .find(|l| l.contains(&written.pupil) && l.contains('5'))
        .expect("the pupil's «5» on the marks page");
    assert!(!pupil_line.is_empty());
    let summary_path = dir.join(format!("{}/summary.pdf", written.class));
    assert!(pdf_info(&summary_path).contains("(A4)"));
    let summary = pdf_text(&summary_path);
    assert!(summary.contains("Сводная ведомость"));
    assert!(summary.contains("Стр. 1 из"));
    assert!(
        summary
            .lines()
            .any(|l| l.contains(&written.pupil) && l.contains('4')),
        "the period mark «4» on the summary sheet:\n{summary}"
    );
    let attendance = pdf_text(&dir.join(format!("{}/attendance.pdf", written.class)));
    assert!(attendance.contains("Учёт посещаемости"));
    assert!(attendance.contains("Стр. 1 из"));

    // The page shows it made, kept 25 years, with its download; the audit trail has both events.
    let (_, page) = director.text("/archive").await;
    assert!(page.contains("готов"), "{page}");
    let files = m["files"].as_array().unwrap().len() + 1;
    assert!(
        page.contains(&format!("{files} из {files}")),
        "progress: {page}"
    );
    let kept = ends.checked_add_months(chrono::Months::new(300)).unwrap();
    assert!(
        page.contains(&kept.format("%d.%m.%Y").to_string()),
        "{page}"
    );
    assert!(page.contains(&format!("/archive/{id}/zip")));
    assert_eq!(
        scalar(
            app,
            "SELECT count(*) FROM audit_event WHERE action IN ('archive.started', 'archive.made')",
            &[]
        )
        .await,
        2
    );

    // Verified against the key printed from the settings page.
    let key = printed_key(&director).await;
    assert_eq!(m["public_key"], key.as_str());
    let (ok, out) = verify(&dir, Some(&key));
    assert!(ok, "{out}");
    assert!(out.contains("Архив цел"), "{out}");

    // One byte of a PDF changed: the file is named.
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&dir, copy.path());
    let changed = copy.path().join(format!("{}/summary.pdf", written.class));
    let mut bytes = std::fs::read(&changed).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&changed, bytes).unwrap();
    let (ok, out) = verify(copy.path(), Some(&key));
    assert!(!ok);
    assert!(
        out.contains(&format!(
            "файл изменён (SHA-256 не совпадает): {}/summary.pdf",
            written.class
        )),
        "{out}"
    );
    // A file removed and one added: both named.
    std::fs::remove_file(
        copy.path()
            .join(format!("{}/attendance.pdf", written.class)),
    )
    .unwrap();
    std::fs::write(copy.path().join("note.txt"), "x").unwrap();
    let (_, out) = verify(copy.path(), None);
    assert!(
        out.contains(&format!("файла нет: {}/attendance.pdf", written.class)),
        "{out}"
    );
    assert!(
        out.contains("лишний файл, которого нет в описи: note.txt"),
        "{out}"
    );

    // The manifest tampered with (a hash rewritten to the changed file's): a bad signature.
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&dir, copy.path());
    let text = std::fs::read_to_string(copy.path().join("manifest.json"))
        .unwrap()
        .replace("2026/2027", "2025/2026");
    std::fs::write(copy.path().join("manifest.json"), text).unwrap();
    let (ok, out) = verify(copy.path(), Some(&key));
    assert!(!ok);
    assert!(out.contains("подпись manifest.json неверна"), "{out}");
    // Another key than the printed one is named even when the files match.
    let (ok, out) = verify(&dir, Some(&"ab".repeat(32)));
    assert!(!ok);
    assert!(out.contains("не тем ключом"), "{out}");

    // The ZIP holds the same files, byte for byte.
    let r = director.get(&format!("/archive/{id}/zip")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let zipped = r.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zipped.to_vec())).unwrap();
    let mut names = BTreeSet::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
        assert_eq!(bytes, std::fs::read(dir.join(&name)).unwrap(), "{name}");
        names.insert(name);
    }
    let mut expected = listed.clone();
    expected.insert("manifest.json".into());
    expected.insert("manifest.sig".into());
    assert_eq!(names, expected);
    // The second medium holds the same ZIP, byte for byte (regulations §6: two media).
    let (school_id, year_id): (i64, i64) =
        sqlx::query_as("SELECT school_id, year_id FROM archive WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let copy = app
        .data_dir
        .join("second-medium/archives")
        .join(format!("school-{school_id}"))
        .join(format!("{year_id}-{id}.zip"));
    assert_eq!(std::fs::read(&copy).unwrap(), zipped.to_vec(), "{copy:?}");

    // Kept: the row cannot be deleted before its retention date, even by the owner.
    assert!(
        sqlx::query("DELETE FROM archive WHERE id = $1")
            .bind(id)
            .execute(&app.pool)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn s6_an_archive_of_the_periods_over_is_made_mid_year_with_the_records_up_to_their_end() {
    let j = crate::journal::maths_5b().await;
    let app = &j.app;
    let written = write_journal(app).await;
    let (_, year) = first_school(app).await;
    // 5«Б» mathematics: a topic in October, inside the periods that will be over, and one in
    // January, after them.
    for (day, topic) in [
        ("2026-10-05", "Тема октября"),
        ("2027-01-13", "Тема января"),
    ] {
        let done = sqlx::query(
            "UPDATE lesson SET status = 'held', topic = $3
             WHERE id = (SELECT id FROM lesson WHERE group_id = $1 AND lesson_date >= $2::date
                         ORDER BY lesson_date, lesson_number LIMIT 1)",
        )
        .bind(j.group)
        .bind(day)
        .bind(topic)
        .execute(&app.pool)
        .await
        .unwrap();
        assert_eq!(done.rows_affected(), 1, "a lesson from {day}");
    }
    let director = app.signed_in("director").await;

    // 30.11.2026: the first quarter is over for grades 1–9, the first half-year of grades 10–11
    // is not — no period is over for the whole school yet.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap());
    let r = director
        .post("/archive", &[("year_id", &year.to_string())])
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("по окончании учебного периода")
    );

    // 10.01.2027: the demo's second quarter and first half-year both ended on 27.12.2026.
    app.clock
        .set(Utc.with_ymd_and_hms(2027, 1, 10, 9, 0, 0).unwrap());
    let (_, dir) = make(app, &director).await;
    let m = manifest(&dir);
    assert_eq!(m["covers_until"], "2026-12-27");
    let page = director.text("/archive").await.1;
    assert!(page.contains("записи по 27.12.2026"), "{page}");
    let first = pdf_text(&dir.join(&written.class).join("journal.pdf"));
    assert!(
        first.contains("записи по 27.12.2026"),
        "the title says what it holds"
    );
    assert!(first.contains("Сложение дробей"), "September's topic is in");
    let fifth = pdf_text(&dir.join("5Б").join("journal.pdf"));
    assert!(fifth.contains("Тема октября"), "October's topic is in");
    assert!(!fifth.contains("Тема января"), "January's is not");
    let (intact, report) = verify(&dir, None);
    assert!(intact, "{report}");
}

#[tokio::test]
async fn s6_only_the_director_makes_an_archive_the_deputies_download_it_others_are_refused() {
    let app = spawn_app().await;
    june(&app).await;
    let director = app.signed_in("director").await;
    let (school, year) = first_school(&app).await;
    // An archive left «running» by a server that stopped hours ago does not block the year.
    let stale = scalar(
        &app,
        "INSERT INTO archive (school_id, year_id, started_at)
         VALUES ($1, $2, now() - interval '1 year') RETURNING id",
        &[school, year],
    )
    .await;
    let (id, _) = make(&app, &director).await;
    let (_, page) = director.text("/archive").await;
    assert!(page.contains("Создание прервано"), "{page}");
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM archive WHERE id = $1 AND status = 'failed'",
            &[stale]
        )
        .await,
        1
    );
    let zip = format!("/archive/{id}/zip");

    // A second archive of the year may be made (each is kept); a form without its token is not.
    let r = director
        .http
        .post(director.url("/archive"))
        .form(&[("year_id", year.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let deputy = app.signed_in("deputy").await;
    let (status, page) = deputy.text("/archive").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("Создать архив"), "{page}");
    assert_eq!(deputy.get(&zip).await.status(), StatusCode::OK);
    let r = deputy
        .post("/archive", &[("year_id", &year.to_string())])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    for login in ["teacher", "classteacher", "admin", "parent", "student"] {
        let client = app.signed_in(login).await;
        assert_eq!(
            client.get("/archive").await.status(),
            StatusCode::FORBIDDEN,
            "{login}"
        );
        assert_eq!(
            client.get(&zip).await.status(),
            StatusCode::FORBIDDEN,
            "{login}"
        );
        let r = client
            .post("/archive", &[("year_id", &year.to_string())])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{login}");
    }
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM archive", &[]).await,
        2,
        "nothing started by the refused"
    );

    // Another school's director: the archive is not found, their own year's id neither starts
    // one of school 1.
    let other = app.signed_in("director2").await;
    assert_eq!(other.get(&zip).await.status(), StatusCode::NOT_FOUND);
    let r = other
        .post("/archive", &[("year_id", &year.to_string())])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, page) = other.text("/archive").await;
    assert!(!page.contains(&zip), "{page}");
}
