//! Issue 13 (§5): the class teacher's period report with the class's totals and the summary
//! sheet of the year — every figure against a hand count on a small awkward class, the XLSX read
//! back equal to the page, the CSV as Russian Excel opens it, and who may open them.

use reqwest::StatusCode;

use crate::journal::{Journal, journal_of, msk};
use crate::tables::{strip, table_cells, xlsx};

/// 5«Б» with mathematics (lessons Monday and Wednesday) and Russian, and the first quarter done:
///
/// | pupil | Математика | Русский язык | absences (mathematics) |
/// |---|---|---|---|
/// | A | 5 | 4 | Б, none given |
/// | B | 2 | Н/А | УП, НП |
/// | C | ОСВ | 3 | — |
/// | D | ОСВ | ОСВ | — |
/// | E, withdrawn 05.10.2026 | 4 | — | Б before, one after leaving (not counted) |
///
/// Hand count for the quarter: pupils with marks 3 (A, B, C; D has only ОСВ, E left),
/// progressing 2 (A, C) = 66,7 %, quality 1 (A) = 33,3 %, средний балл (5 + 4 + 2 + 3) / 4 = 3,5;
/// lessons missed 5: Б 2, УП 1, НП 1, without reason 1. The other pupils of the class have no
/// marks and count nowhere.
struct Awkward {
    j: Journal,
    names: Vec<String>,
    q1: i64,
    q2: i64,
}

async fn awkward_class() -> Awkward {
    let j = journal_of(5, "Б", "Математика", "five_point").await;
    let pool = &j.app.pool;
    let deputy = j.app.signed_in("deputy").await;
    deputy
        .post(
            "/setup/subjects",
            &[
                ("name", "Русский язык"),
                ("component", "federal"),
                ("scale", "five_point"),
            ],
        )
        .await;
    let russian: i64 = sqlx::query_scalar(
        "SELECT s.id FROM subject s JOIN school sc ON sc.id = s.school_id
         WHERE sc.slug = 'demo-1' AND s.name = 'Русский язык'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    deputy
        .post(
            &format!("/classes/{}/curriculum", j.class_id),
            &[("subject", &russian.to_string()), ("hours", "1")],
        )
        .await;
    let russian_group: i64 =
        sqlx::query_scalar("SELECT id FROM study_group WHERE class_id = $1 AND subject_id = $2")
            .bind(j.class_id)
            .bind(russian)
            .fetch_one(pool)
            .await
            .unwrap();
    let periods: Vec<i64> = sqlx::query_scalar(
        "SELECT sp.id FROM study_period sp JOIN period_scheme ps ON ps.id = sp.scheme_id
         JOIN school_class c ON c.school_id = ps.school_id AND c.academic_year_id = ps.academic_year_id
         WHERE c.id = $1 AND c.grade BETWEEN ps.grade_from AND ps.grade_to ORDER BY sp.number",
    )
    .bind(j.class_id)
    .fetch_all(pool)
    .await
    .unwrap();
    let (q1, q2) = (periods[0], periods[1]);
    let names: Vec<String> = {
        let mut names = Vec::new();
        for p in &j.pupils[..5] {
            names.push(
                sqlx::query_scalar(
                    "SELECT last_name || ' ' || first_name FROM pupil WHERE id = $1",
                )
                .bind(p)
                .fetch_one(pool)
                .await
                .unwrap(),
            );
        }
        names
    };
    let (a, b, c, d, e) = (
        j.pupils[0],
        j.pupils[1],
        j.pupils[2],
        j.pupils[3],
        j.pupils[4],
    );
    let teacher = j.app.account_id("teacher").await;
    let marks: [(i64, i64, i64, &str); 9] = [
        (j.group, q1, a, "5"),
        (russian_group, q1, a, "4"),
        (j.group, q1, b, "2"),
        (russian_group, q1, b, "na"),
        (j.group, q1, c, "exempt"),
        (russian_group, q1, c, "3"),
        (j.group, q1, d, "exempt"),
        (russian_group, q1, d, "exempt"),
        (j.group, q1, e, "4"),
    ];
    for (group, period, pupil, value) in marks {
        sqlx::query(
            "INSERT INTO period_mark (school_id, group_id, period_id, pupil_id, value, set_by, set_at)
             SELECT school_id, $1, $2, $3, $4, $5, now() FROM study_group WHERE id = $1",
        )
        .bind(group)
        .bind(period)
        .bind(pupil)
        .bind(value)
        .bind(teacher)
        .execute(pool)
        .await
        .unwrap();
    }
    // The pupil leaves on 05.10.2026, as the school records it.
    j.app.clock.set(msk(11, 10, 12, 0));
    let admin = j.app.signed_in("admin").await;
    let r = admin
        .post(
            &format!("/pupils/{e}/withdraw"),
            &[("on", "05.10.2026"), ("reason", "переезд в другой город")],
        )
        .await;
    assert!(r.text().await.unwrap().contains("Выбытие оформлено."));
    // A stray mark of the second quarter for the pupil who left: not theirs to show.
    sqlx::query(
        "INSERT INTO period_mark (school_id, group_id, period_id, pupil_id, value, set_by, set_at)
         SELECT school_id, $1, $2, $3, '5', $4, now() FROM study_group WHERE id = $1",
    )
    .bind(j.group)
    .bind(q2)
    .bind(e)
    .bind(teacher)
    .execute(pool)
    .await
    .unwrap();
    let absences: [(u32, u32, i64, Option<&str>); 6] = [
        (9, 7, a, Some("ill")),
        (9, 9, a, None),
        (9, 14, b, Some("excused")),
        (9, 16, b, Some("unexcused")),
        (9, 21, e, Some("ill")),
        (10, 7, e, Some("ill")),
    ];
    for (m, day, pupil, reason) in absences {
        let lesson = j.lesson(m, day).await;
        sqlx::query(
            "INSERT INTO absence (school_id, lesson_id, pupil_id, absent, reason, entered_by, entered_at)
             SELECT school_id, id, $2, true, $3, $4, now() FROM lesson WHERE id = $1",
        )
        .bind(lesson)
        .bind(pupil)
        .bind(reason)
        .bind(teacher)
        .execute(pool)
        .await
        .unwrap();
    }
    Awkward { j, names, q1, q2 }
}

/// A figure of the page's «Итоги класса» table: the cell after its row head.
fn figure(html: &str, head: &str) -> String {
    let after = html
        .split(&format!("<th scope=\"row\">{head}</th>"))
        .nth(1)
        .unwrap_or_else(|| panic!("{head} on the page"));
    strip(after.split("</td>").next().unwrap())
}

fn number_cell(book_rows: &[Vec<String>], head: &str) -> String {
    book_rows
        .iter()
        .find(|r| r.first().map(String::as_str) == Some(head))
        .unwrap_or_else(|| panic!("{head} in the file"))[1]
        .clone()
}

#[tokio::test]
async fn s5_the_period_report_counts_progress_quality_and_attendance_as_by_hand_and_the_files_equal_the_page()
 {
    let w = awkward_class().await;
    let ct = w.j.app.signed_in("classteacher").await;
    let path = format!("/class-teacher/report?period={}", w.q1);
    let (status, page) = ct.text(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Итоговый отчёт — 1 четверть"), "{page}");
    assert_eq!(figure(&page, "Обучающихся с отметками"), "3");
    assert_eq!(figure(&page, "Успевают"), "2");
    assert_eq!(figure(&page, "Успеваемость, %"), "66,7");
    assert_eq!(figure(&page, "Учатся на «4» и «5»"), "1");
    assert_eq!(figure(&page, "Качество знаний, %"), "33,3");
    assert_eq!(figure(&page, "Средний балл"), "3,5");
    // The definitions stand under the table, in Russian, with no regulation codes.
    assert!(page.contains("Успеваемость — доля обучающихся"));
    assert!(page.contains("ОСВ (освобождён) не входит ни в числитель, ни в знаменатель"));
    // Visible text only: a random CSRF token or request id in an attribute may hold «J1».
    let shown = crate::tables::strip(&page);
    assert!(!shown.contains("J1") && !shown.contains("§5"));
    for link in ["Скачать XLSX", "Скачать CSV", "Печать"] {
        assert!(page.contains(link), "{link}");
    }

    let rows = table_cells(&page, "report");
    let row = |i: usize| {
        rows.iter()
            .find(|r| r[0].starts_with(&w.names[i]))
            .unwrap_or_else(|| panic!("{} on the page", w.names[i]))
            .clone()
    };
    // Обучающийся, Математика, Русский язык, средний балл, «2», Н/А, пропущено, Б, УП, НП, без причины.
    assert_eq!(
        row(0)[1..],
        ["5", "4", "4,5", "", "", "2", "1", "0", "0", "1"]
    );
    assert_eq!(
        row(1)[1..],
        ["2", "н/а", "2", "1", "1", "2", "0", "1", "1", "0"]
    );
    assert_eq!(
        row(2)[1..],
        ["осв", "3", "3", "", "", "0", "0", "0", "0", "0"]
    );
    assert_eq!(
        row(3)[1..],
        ["осв", "осв", "", "", "", "0", "0", "0", "0", "0"]
    );
    assert_eq!(
        row(4)[0],
        format!("{} выбыл(а) 05.10.2026", w.names[4]),
        "the pupil who left, with the date"
    );
    assert_eq!(row(4)[1..], ["4", "", "4", "", "", "1", "1", "0", "0", "0"]);
    let total = page
        .split("<tfoot>")
        .nth(1)
        .unwrap()
        .split("</tfoot>")
        .next()
        .unwrap();
    assert!(
        strip(&total.replace("<td>", " ").replace("</td>", " |"))
            .ends_with("3,5 | | | 5 | 2 | 1 | 1 | 1 |"),
        "class total: {}",
        strip(total)
    );

    // The XLSX holds the page: the same pupils' cells, the totals line and the figures.
    let book = xlsx(&ct, &format!("{path}&format=xlsx")).await;
    assert_eq!(
        book[0][..4],
        ["Обучающийся", "Математика", "Русский язык", "Средний балл"]
    );
    for page_row in &rows {
        let file_row = book
            .iter()
            .find(|r| page_row[0].starts_with(&r[0]) && !r[0].is_empty())
            .unwrap_or_else(|| panic!("{} in the file", page_row[0]));
        assert_eq!(
            file_row[1..page_row.len()],
            page_row[1..],
            "{}",
            page_row[0]
        );
    }
    let e_row = book.iter().find(|r| r[0] == w.names[4]).unwrap();
    assert_eq!(e_row.last().unwrap(), "выбыл(а) 05.10.2026");
    let total_row = book.iter().find(|r| r[0] == "Итого по классу").unwrap();
    assert_eq!(total_row[3..11], ["3,5", "", "", "5", "2", "1", "1", "1"]);
    assert_eq!(number_cell(&book, "Обучающихся с отметками"), "3");
    assert_eq!(number_cell(&book, "Успеваемость, %"), "66,7");
    assert_eq!(number_cell(&book, "Качество знаний, %"), "33,3");
    assert_eq!(number_cell(&book, "Средний балл"), "3,5");

    // The CSV opens in Russian Excel: BOM, «;», CRLF, the same figures.
    let r = ct.get(&format!("{path}&format=csv")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = r.bytes().await.unwrap();
    assert_eq!(bytes[..3], [0xEF, 0xBB, 0xBF], "UTF-8 BOM");
    let csv = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(csv.starts_with("Обучающийся;Математика;Русский язык;Средний балл;"));
    assert!(
        csv.contains("\r\nИтого по классу;;;3,5;;;5;2;1;1;1;\r\n"),
        "{csv}"
    );
    assert!(csv.contains(&format!("\r\n{};5;4;4,5;;;2;1;0;0;1;\r\n", w.names[0])));
    assert!(csv.contains("\r\nУспеваемость, %;66,7"));

    // The director and the deputy read the same report of the class; its figures are the same.
    for login in ["director", "deputy"] {
        let who = w.j.app.signed_in(login).await;
        let (status, page) = who
            .text(&format!("/classes/{}/report?period={}", w.j.class_id, w.q1))
            .await;
        assert_eq!(status, StatusCode::OK, "{login}");
        assert_eq!(figure(&page, "Успеваемость, %"), "66,7", "{login}");
        assert_eq!(table_cells(&page, "report"), rows, "{login}");
    }
}

#[tokio::test]
async fn s5_the_summary_sheet_of_the_year_shows_each_period_with_its_totals_and_the_pupil_who_left_only_while_in_the_class()
 {
    let w = awkward_class().await;
    let deputy = w.j.app.signed_in("deputy").await;
    let base = format!("/classes/{}/summary", w.j.class_id);
    let (status, page) = deputy.text(&format!("{base}?period=year")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Учебный год: отметки за все периоды"));
    assert!(page.contains("Годовые отметки в журнале не ведутся"));
    let periods: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM study_period sp JOIN period_scheme ps ON ps.id = sp.scheme_id
         JOIN school_class c ON c.school_id = ps.school_id AND c.academic_year_id = ps.academic_year_id
         WHERE c.id = $1 AND c.grade BETWEEN ps.grade_from AND ps.grade_to",
    )
    .bind(w.j.class_id)
    .fetch_one(&w.j.app.pool)
    .await
    .unwrap();
    let n = periods as usize;
    let rows = table_cells(&page, "summary");
    let row = |i: usize| {
        rows.iter()
            .find(|r| r[0].starts_with(&w.names[i]))
            .unwrap_or_else(|| panic!("{}", w.names[i]))
            .clone()
    };
    // Subjects in name order, each with its periods: Математика 1..n, Русский язык 1..n.
    let cells = |i: usize| {
        let r = row(i);
        (r[1].clone(), r[1 + n].clone())
    };
    assert_eq!(cells(0), ("5".to_string(), "4".to_string()));
    assert_eq!(cells(1), ("2".to_string(), "н/а".to_string()));
    assert_eq!(cells(3), ("осв".to_string(), "осв".to_string()));
    assert_eq!(row(4)[0], format!("{} выбыл(а) 05.10.2026", w.names[4]));
    assert_eq!(row(4)[1], "4");
    assert_eq!(
        row(4)[2],
        "",
        "the second quarter's stray mark is not shown"
    );
    // The figures of the first quarter, as counted by hand; the second has none.
    let totals = table_cells(&page, "totals");
    assert_eq!(totals.len(), n);
    assert_eq!(totals[0], ["3", "2", "66,7", "1", "33,3", "3,5"]);
    assert_eq!(totals[1], ["0", "0", "—", "0", "—", "—"]);

    // The year's XLSX equals the page, the pupil who left with the date in its own column.
    let book = xlsx(&deputy, &format!("{base}?period=year&format=xlsx")).await;
    assert_eq!(book[0][1], "Математика, 1 четверть");
    for page_row in &rows {
        let file_row = book
            .iter()
            .find(|r| !r[0].is_empty() && page_row[0].starts_with(&r[0]))
            .unwrap();
        assert_eq!(
            file_row[1..page_row.len()],
            page_row[1..],
            "{}",
            page_row[0]
        );
    }
    assert_eq!(
        book.iter()
            .find(|r| r[0] == w.names[4])
            .unwrap()
            .last()
            .unwrap(),
        "выбыл(а) 05.10.2026"
    );
    let first = book
        .iter()
        .position(|r| r[0] == "Итоги: 1 четверть")
        .unwrap();
    assert_eq!(book[first + 3][..2], ["Успеваемость, %", "66,7"]);
    assert_eq!(book[first + 5][..2], ["Качество знаний, %", "33,3"]);
    assert_eq!(book[first + 6][..2], ["Средний балл", "3,5"]);

    // The second quarter's sheet leaves out the pupil who left in the first.
    let (_, page) = deputy.text(&format!("{base}?period={}", w.q2)).await;
    assert!(
        !page.contains(&w.names[4]),
        "not in the class in the 2nd quarter"
    );
    let csv = deputy
        .get(&format!("{base}?period={}&format=csv", w.q1))
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        csv.starts_with("\u{feff}Обучающийся;Математика;Русский язык;Примечание\r\n".as_bytes())
    );
}

#[tokio::test]
async fn s5_the_class_reports_are_for_the_class_teacher_of_the_class_and_the_management_only() {
    let w = awkward_class().await;
    let app = &w.j.app;
    let c = w.j.class_id;
    let paths = [
        format!("/classes/{c}/report"),
        format!("/classes/{c}/report?period={}&format=xlsx", w.q1),
        format!("/classes/{c}/summary?period=year"),
        format!("/classes/{c}/summary?period=year&format=csv"),
    ];
    for login in ["director", "deputy", "classteacher"] {
        let who = app.signed_in(login).await;
        for path in &paths {
            assert_eq!(
                who.get(path).await.status(),
                StatusCode::OK,
                "{login} {path}"
            );
        }
    }
    for login in ["teacher", "parent", "student", "admin"] {
        let who = app.signed_in(login).await;
        for path in &paths {
            let r = who.get(path).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{login} {path}");
            let body = r.text().await.unwrap();
            assert!(!body.contains(&w.names[0]), "{login} {path}: no name");
        }
    }
    let other_school = app.signed_in("director2").await;
    for path in &paths {
        assert_eq!(
            other_school.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "another school {path}"
        );
    }
    // The class teacher of another class: 403 on this one, and their own report is theirs.
    let other_class: i64 = sqlx::query_scalar(
        "SELECT id FROM school_class WHERE school_id = (SELECT school_id FROM school_class WHERE id = $1)
         AND grade = 5 AND letter = 'А'",
    )
    .bind(c)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE membership SET class_id = $1 WHERE role = 'class_teacher'
         AND account_id = (SELECT id FROM account WHERE login = 'classteacher')",
    )
    .bind(other_class)
    .execute(&app.pool)
    .await
    .unwrap();
    let ct = app.signed_in("classteacher").await;
    for path in &paths {
        let r = ct.get(path).await;
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "another class's teacher {path}"
        );
    }
    let (status, page) = ct.text("/class-teacher/report").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("5«А»") && !page.contains(&w.names[0]));
}

// ------------------------------------------------------- issue 15: both hats, reasons for days

/// Issue 15, item 7: Соколов is 5«Б»'s class teacher and teaches it history (Tuesdays and
/// Thursdays); his start page is one page with both hats.
#[tokio::test]
async fn the_class_teachers_start_page_shows_the_class_and_their_own_lessons_today_and_a_remark_on_their_journal()
 {
    let j = crate::journal::journal_with(
        5,
        "Б",
        "История",
        "five_point",
        "classteacher",
        &[("2", "1"), ("4", "2")],
    )
    .await;
    let tuesday = j.lesson(10, 6).await;
    j.app.clock.set(msk(10, 6, 7, 30));
    let deputy = j.app.signed_in("deputy").await;
    let remark = "Не записаны темы уроков истории за сентябрь";
    let html = deputy
        .post(
            &format!("/journal/{}/remarks", j.group),
            &[("text", remark), ("due_on", "09.10.2026")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Замечание к журналу записано"), "{html}");

    let (status, home) = j.teacher.text("/class-teacher").await;
    assert_eq!(status, StatusCode::OK);
    // The class's block…
    assert!(
        home.contains("Мой класс: 5«Б»") && home.contains("Группа риска"),
        "{home}"
    );
    // …and the teacher's: today's lesson with its link, what is still to fill in, the remark.
    let lessons = home
        .split("Мои уроки сегодня")
        .nth(1)
        .expect("the teacher's block");
    assert!(
        lessons.contains(&format!("href=\"/lessons/{tuesday}\""))
            && lessons.contains("История")
            && lessons.contains("домашнее задание"),
        "{lessons}"
    );
    let remarks = home.split("Замечания к журналам").nth(1).unwrap();
    assert!(
        remarks.contains(remark)
            && remarks.contains(&format!("href=\"/journal/{}/control\"", j.group))
            && remarks.contains("исправить до 09.10.2026"),
        "{remarks}"
    );
    assert!(home.contains("Накопляемость отметок"), "{home}");
    // The menu holds the teacher's pages too.
    assert!(home.contains("href=\"/paper\""), "{home}");
    // Wednesday: no lesson of his that day.
    j.app.clock.set(msk(10, 7, 7, 30));
    let (_, home) = j.teacher.text("/class-teacher").await;
    assert!(home.contains("Сегодня уроков нет."), "{home}");
}

/// 5«Б» mathematics with `teacher` at lessons 1 and 2 on Mondays and lesson 2 on Wednesdays:
/// a pupil (Морозов Иван, whose parent is the demo `parent`) absent at both lessons of Monday
/// 05.10 and at Wednesday's 07.10, a classmate absent
/// at Monday's first lesson. Returns the journal, the pupil, the classmate and the class
/// teacher's client (the clock on Friday 09.10).
async fn absent_two_days() -> (Journal, i64, i64, crate::helpers::Client) {
    let j = crate::journal::journal_with(
        5,
        "Б",
        "Математика",
        "five_point",
        "teacher",
        &[("1", "1"), ("1", "2"), ("3", "2")],
    )
    .await;
    // Морозов Иван, the demo parent's child.
    let pupil: i64 = sqlx::query_scalar(
        "SELECT m.pupil_id FROM membership m JOIN account a ON a.id = m.account_id
         WHERE a.login = 'student'",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let classmate = *j.pupils.iter().find(|&&p| p != pupil).unwrap();
    let lessons: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM lesson WHERE group_id = $1
           AND lesson_date IN ('2026-10-05', '2026-10-07') ORDER BY lesson_date, lesson_number",
    )
    .bind(j.group)
    .fetch_all(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(lessons.len(), 3, "two lessons on Monday, one on Wednesday");
    j.app.clock.set(msk(10, 5, 13, 0));
    for (lesson, who) in [
        (lessons[0], pupil),
        (lessons[1], pupil),
        (lessons[0], classmate),
    ] {
        let (_, html) = j.type_cell(&j.teacher, lesson, who, "н", &[]).await;
        assert!(html.contains("сохранено"), "{html}");
    }
    j.app.clock.set(msk(10, 7, 13, 0));
    let (_, html) = j.type_cell(&j.teacher, lessons[2], pupil, "н", &[]).await;
    assert!(html.contains("сохранено"), "{html}");
    j.app.clock.set(msk(10, 9, 15, 0));
    let class_teacher = j.app.signed_in("classteacher").await;
    (j, pupil, classmate, class_teacher)
}

/// The reasons of a pupil's absences by date, and of the classmate's.
async fn reasons_of(j: &Journal, pupil: i64) -> Vec<(String, Option<String>)> {
    sqlx::query_as(
        "SELECT to_char(l.lesson_date, 'DD.MM') || ' ' || l.lesson_number, a.reason
         FROM absence a JOIN lesson l ON l.id = a.lesson_id
         WHERE a.pupil_id = $1 AND a.absent ORDER BY l.lesson_date, l.lesson_number",
    )
    .bind(pupil)
    .fetch_all(&j.app.pool)
    .await
    .unwrap()
}

async fn reasons_audited(j: &Journal) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'absence.reason_set'")
        .fetch_one(&j.app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn j9_a_reason_for_a_pupils_whole_day_changes_every_absence_of_that_day_at_once_and_audits_each()
 {
    let (j, pupil, classmate, class_teacher) = absent_two_days().await;
    // The first absence of a pupil's day offers the reason for the whole day, the form filled in.
    let (_, page) = class_teacher
        .text("/class-teacher/absences?week=2026-10-05")
        .await;
    let offer = format!("pupil={pupil}&amp;day=2026-10-05#days");
    assert!(page.contains(&offer), "{page}");
    let (_, page) = class_teacher
        .text(&format!(
            "/class-teacher/absences?week=2026-10-05&pupil={pupil}&day=2026-10-05"
        ))
        .await;
    assert!(
        page.contains(&format!("<option value=\"{pupil}\" selected>"))
            && page.contains("name=\"from\" value=\"2026-10-05\""),
        "{page}"
    );

    let r = class_teacher
        .post(
            "/class-teacher/absences/days?week=2026-10-05",
            &[
                ("pupil", &pupil.to_string()),
                ("from", "2026-10-05"),
                ("to", ""),
                ("reason", "ill"),
            ],
        )
        .await;
    assert_eq!(r.url().path(), "/class-teacher/absences");
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Причина «Б — болезнь» указана для 2 пропусков (05.10.2026)."),
        "{page}"
    );
    assert_eq!(
        reasons_of(&j, pupil).await,
        vec![
            ("05.10 1".to_string(), Some("ill".to_string())),
            ("05.10 2".to_string(), Some("ill".to_string())),
            ("07.10 2".to_string(), None),
        ],
        "Monday's two absences, not Wednesday's"
    );
    assert_eq!(
        reasons_of(&j, classmate).await,
        vec![("05.10 1".to_string(), None)],
        "the classmate's absence is not touched"
    );
    assert_eq!(reasons_audited(&j).await, 2, "each change audited");
    let before_after: Vec<(serde_json::Value, serde_json::Value)> = sqlx::query_as(
        "SELECT before, after FROM audit_event WHERE action = 'absence.reason_set' ORDER BY id",
    )
    .fetch_all(&j.app.pool)
    .await
    .unwrap();
    for (before, after) in before_after {
        assert_eq!(before["reason"], serde_json::Value::Null);
        assert_eq!(after["reason"], "ill");
        assert_eq!(after["pupil_id"], pupil);
    }
    // The parent sees it in the diary.
    let (_, week) = j
        .app
        .signed_in("parent")
        .await
        .text("/diary?week=2026-10-05")
        .await;
    assert!(week.contains("н (Б)"), "{week}");
}

#[tokio::test]
async fn j9_a_reason_for_a_range_of_days_changes_every_absence_in_it_and_a_mistyped_range_comes_back_filled_in()
 {
    let (j, pupil, classmate, class_teacher) = absent_two_days().await;
    let pupil_text = pupil.to_string();
    // The last day before the first: refused next to the field, the form as typed, nothing written.
    let r = class_teacher
        .post(
            "/class-teacher/absences/days?week=2026-10-05",
            &[
                ("pupil", &pupil_text),
                ("from", "07.10.2026"),
                ("to", "05.10.2026"),
                ("reason", "excused"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Последний день не может быть раньше первого."),
        "{page}"
    );
    assert!(
        page.contains("name=\"from\" value=\"2026-10-07\"")
            && page.contains("name=\"to\" value=\"2026-10-05\"")
            && page.contains("<option value=\"excused\" selected>")
            && page.contains(&format!("<option value=\"{pupil}\" selected>")),
        "the form is kept: {page}"
    );
    assert_eq!(reasons_audited(&j).await, 0);

    let form = [
        ("pupil", pupil_text.as_str()),
        ("from", "05.10.2026"),
        ("to", "07.10.2026"),
        ("reason", "excused"),
    ];
    let page = class_teacher
        .post("/class-teacher/absences/days?week=2026-10-05", &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(
            "Причина «УП — уважительная причина» указана для 3 пропусков (с 05.10.2026 по 07.10.2026)."
        ),
        "{page}"
    );
    assert!(
        reasons_of(&j, pupil)
            .await
            .iter()
            .all(|(_, r)| r.as_deref() == Some("excused"))
    );
    assert_eq!(reasons_of(&j, classmate).await[0].1, None);
    assert_eq!(reasons_audited(&j).await, 3);
    // Again: nothing to change, nothing audited.
    let page = class_teacher
        .post("/class-teacher/absences/days?week=2026-10-05", &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Уже с этой причиной: 3 пропуска."), "{page}");
    assert_eq!(reasons_audited(&j).await, 3);
    // Days without a marked absence: said so, nothing written.
    let page = class_teacher
        .post(
            "/class-teacher/absences/days?week=2026-10-05",
            &[
                ("pupil", &classmate.to_string()),
                ("from", "2026-10-06"),
                ("to", "2026-10-08"),
                ("reason", "ill"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("У обучающегося нет отмеченных пропусков «н» (с 06.10.2026 по 08.10.2026)"),
        "{page}"
    );
    assert_eq!(reasons_audited(&j).await, 3);
}

#[tokio::test]
async fn j9_reasons_for_days_are_refused_for_another_classs_pupil_and_to_anyone_but_the_class_teacher()
 {
    let (j, pupil, _, class_teacher) = absent_two_days().await;
    let other_class: i64 = sqlx::query_scalar(
        "SELECT e.pupil_id FROM class_enrollment e JOIN school_class c ON c.id = e.class_id
         JOIN school s ON s.id = c.school_id
         WHERE s.slug = 'demo-1' AND c.grade = 5 AND c.letter = 'А' LIMIT 1",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let days = |who: String| {
        vec![
            ("pupil", who),
            ("from", "2026-10-05".to_string()),
            ("to", "2026-10-07".to_string()),
            ("reason", "ill".to_string()),
        ]
    };
    let form = days(other_class.to_string());
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = class_teacher
        .post("/class-teacher/absences/days", &form)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The subject teacher of the class is not its class teacher: refused before the form is read.
    let form = days(pupil.to_string());
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = j.teacher.post("/class-teacher/absences/days", &form).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(reasons_audited(&j).await, 0);
    assert!(reasons_of(&j, pupil).await.iter().all(|(_, r)| r.is_none()));
}

#[tokio::test]
async fn j9_on_a_monday_the_absences_page_and_the_printed_extract_open_on_the_week_just_ended() {
    let (j, _, _, class_teacher) = absent_two_days().await;
    // Monday 12.10, before the first lesson: the new week is still empty.
    j.app.clock.set(msk(10, 12, 7, 0));
    let (_, page) = class_teacher.text("/class-teacher/absences").await;
    assert!(page.contains("05.10.2026 — 11.10.2026"), "{page}");
    assert!(
        page.contains("07.10"),
        "Wednesday's absence is listed: {page}"
    );
    let extract = |r: reqwest::Response| {
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string()
    };
    let r = class_teacher.get("/class-teacher/extract.pdf").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(extract(r).contains("extract-2026-10-05.pdf"));
    // The start page offers the extract of that week, and any other week may be picked.
    let (_, home) = class_teacher.text("/class-teacher").await;
    assert!(
        home.contains("name=\"week\" value=\"2026-10-05\""),
        "{home}"
    );
    let r = class_teacher
        .get("/class-teacher/extract.pdf?week=14.10.2026")
        .await;
    assert!(extract(r).contains("extract-2026-10-12.pdf"));
    let (_, page) = class_teacher
        .text("/class-teacher/absences?week=2026-10-12")
        .await;
    assert!(
        page.contains("href=\"/class-teacher/extract.pdf?week=2026-10-12\""),
        "{page}"
    );
    // Tuesday: Monday's lessons are over, the page opens on the new week.
    j.app.clock.set(msk(10, 13, 7, 0));
    let (_, page) = class_teacher.text("/class-teacher/absences").await;
    assert!(page.contains("12.10.2026 — 18.10.2026"), "{page}");
}

#[tokio::test]
async fn issue_15_the_preliminary_report_explains_its_na_and_shows_the_average_and_number_of_marks_beside_it()
 {
    // Mathematics, 2 hours a week: a period mark needs 5 marks (J11); a pupil with two has «н/а».
    let j = journal_of(5, "Б", "Математика", "five_point").await;
    j.app.clock.set(msk(10, 5, 10, 0));
    let monday = j.lesson(10, 5).await;
    let (status, _) = j.type_cell(&j.teacher, monday, j.pupils[0], "5", &[]).await;
    assert_eq!(status, StatusCode::OK);
    j.app.clock.set(msk(10, 7, 10, 0));
    let wednesday = j.lesson(10, 7).await;
    j.type_cell(&j.teacher, wednesday, j.pupils[0], "4", &[])
        .await;
    j.app.clock.set(msk(10, 9, 12, 0));
    let q1 = j.first_quarter().await;
    let ct = j.app.signed_in("classteacher").await;
    let (status, page) = ct.text(&format!("/class-teacher/report?period={q1}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Предварительный отчёт — 1 четверть"),
        "{page}"
    );
    assert!(page.contains("<td>н/а (ср. 4,50, 2 отм.)</td>"), "{page}");
    assert!(
        page.contains("отметок за период пока меньше, чем нужно для аттестации: не меньше 3 при 1 часе в неделю и 5 при 2 часах и больше"),
        "{page}"
    );
}
