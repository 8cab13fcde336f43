//! Issue 15 in a real browser (headless Chromium, `crate::browser::Driver`): the teacher's grid
//! opens on today with the focus there and keeps dates and names in sight; a refused value stays
//! in its cell, marked; on a phone a tap on a diary mark shows what it was for.

use serde_json::json;

use crate::browser::{AT, Driver};

use crate::journal::{journal_with, maths_5b, msk};

/// Today's column head, the scroller and the focused cell, measured in the window.
const TODAY: &str = "const th = document.getElementById('today');
    const wrap = th.closest('.journal-wrap');
    const name = document.querySelector('#journal thead th.name');
    const r = th.getBoundingClientRect(), w = wrap.getBoundingClientRect();
    const f = document.activeElement;
    const td = f.closest && f.closest('td');
    return {
        left: r.left, right: r.right, wrapLeft: w.left, wrapRight: w.right,
        nameRight: name.getBoundingClientRect().right,
        unscrolledLeft: th.offsetLeft, wrapWidth: wrap.clientWidth,
        focusColumn: td ? td.cellIndex : -1, todayColumn: th.cellIndex,
        focusRow: td ? td.parentElement.sectionRowIndex : -1,
        focusName: (f.getAttribute && f.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean)
            .map(id => document.getElementById(id).textContent).join(' '),
    }";

#[tokio::test]
async fn in_a_browser_the_grid_opens_on_today_with_the_focus_in_todays_cell_and_dates_and_names_stay_in_sight()
 {
    // Five lessons a week: by late October the first quarter is far wider than the window.
    let j = journal_with(
        5,
        "Б",
        "Математика",
        "five_point",
        "teacher",
        &[("1", "1"), ("2", "1"), ("3", "1"), ("4", "1"), ("5", "1")],
    )
    .await;
    j.app.clock.set(msk(10, 22, 10, 0));
    let thursday = j.lesson(10, 22).await;
    let name: String =
        sqlx::query_scalar("SELECT last_name || ' ' || first_name FROM pupil WHERE id = $1")
            .bind(j.pupils[0])
            .fetch_one(&j.app.pool)
            .await
            .unwrap();
    let driver = Driver::with_size(1366, 768).await;
    let base = j.teacher.base.clone();
    driver.sign_in(&base, "teacher").await;
    driver.go(&format!("{base}/journal/{}", j.group)).await;

    let at = driver.script(TODAY, json!([])).await;
    let n = |k: &str| at[k].as_f64().unwrap_or_else(|| panic!("{k}: {at}"));
    assert!(
        n("unscrolledLeft") > n("wrapWidth"),
        "without scrolling today would be off-screen: {at}"
    );
    assert!(
        n("left") >= n("nameRight") - 1.0 && n("right") <= n("wrapRight") + 1.0,
        "today's column is in sight, right of the names: {at}"
    );
    assert!(n("right") <= 1366.0, "{at}");
    assert_eq!(
        (at["focusRow"].clone(), at["focusColumn"].clone()),
        (json!(0), at["todayColumn"].clone()),
        "the focus is in the first pupil's cell of today: {at}"
    );
    assert_eq!(at["focusName"], json!(format!("{name} 22.10")), "{at}");
    assert_eq!(
        driver.script(AT, json!([])).await[0],
        json!(thursday),
        "today's lesson"
    );

    // Scrolled to the far right and down, the dates' row and the names stay in sight.
    let kept = driver
        .script(
            "const wrap = document.querySelector('.journal-wrap');
             // A short window (the demo's class is small): the grid scrolls down inside itself.
             wrap.style.maxHeight = '160px';
             wrap.scrollLeft = wrap.scrollWidth; wrap.scrollTop = wrap.scrollHeight;
             const w = wrap.getBoundingClientRect();
             const head = document.querySelector('#journal thead th.d').getBoundingClientRect();
             const rows = document.querySelectorAll('#journal tbody tr');
             const last = rows[rows.length - 1].querySelector('td.name').getBoundingClientRect();
             return { scrolledDown: wrap.scrollTop > 0, headTop: head.top, wrapTop: w.top,
                      nameLeft: last.left, wrapLeft: w.left }",
            json!([]),
        )
        .await;
    assert_eq!(kept["scrolledDown"], json!(true), "{kept}");
    assert!(
        (kept["headTop"].as_f64().unwrap() - kept["wrapTop"].as_f64().unwrap()).abs() <= 1.0,
        "the dates stay on top: {kept}"
    );
    assert!(
        (kept["nameLeft"].as_f64().unwrap() - kept["wrapLeft"].as_f64().unwrap()).abs() <= 1.0,
        "the names stay on the left: {kept}"
    );

    // Back to the start; «Сегодня» jumps to today's column again, focus included.
    driver
        .script(
            "const wrap = document.querySelector('.journal-wrap');
             wrap.scrollLeft = 0; wrap.scrollTop = 0; document.activeElement.blur()",
            json!([]),
        )
        .await;
    let link = driver.element("a.to-today").await;
    driver.click(&link).await;
    let at = driver.script(TODAY, json!([])).await;
    let n = |k: &str| at[k].as_f64().unwrap_or_else(|| panic!("{k}: {at}"));
    assert!(
        n("left") >= n("nameRight") - 1.0 && n("right") <= n("wrapRight") + 1.0,
        "{at}"
    );
    assert_eq!(at["focusColumn"], at["todayColumn"], "{at}");
}

/// The first pupil's cell in today's column, as `td` for the script that follows.
const TODAYS: &str = "const td = document.querySelector('#journal tbody tr').cells[document.getElementById('today').cellIndex];";

/// Types `value` into the input `input` (a selector) of the first pupil's cell today and leaves it
/// (the `change` the page saves on).
async fn change_todays(driver: &Driver, input: &str, value: &str) {
    driver
        .script(
            &format!(
                "{TODAYS} const input = td.querySelector(arguments[0]);
                 input.value = arguments[1]; input.dispatchEvent(new Event('change', {{bubbles: true}}))"
            ),
            json!([input, value]),
        )
        .await;
}

#[tokio::test]
async fn in_a_browser_a_refused_value_stays_in_its_cell_marked_with_the_reason_until_corrected() {
    let j = maths_5b().await;
    j.app.clock.set(msk(10, 5, 10, 0));
    let driver = Driver::start().await;
    let base = j.teacher.base.clone();
    driver.sign_in(&base, "teacher").await;
    driver.go(&format!("{base}/journal/{}", j.group)).await;
    // The page opens with the focus in today's first cell: type «9» and move down.
    let focused = driver
        .until(
            "const f = document.activeElement; return f && f.name === 'value' && f.closest('td').cellIndex",
            json!([]),
        )
        .await;
    assert!(focused.as_i64().is_some(), "{focused}");
    driver
        .script(
            "document.activeElement.closest('td').dataset.e2e = 'x'",
            json!([]),
        )
        .await;
    let cell = driver.element("td[data-e2e] input").await;
    driver.type_into(&cell, "9\u{E015}").await; // ArrowDown
    // The swapped cell is found by its place: the first row, today's column.
    let refused = driver
        .until(
            &format!(
                "{TODAYS} if (!td.classList.contains('refused')) {{ return null; }}
                 const input = td.querySelector('input[name=value]');
                 const why = document.getElementById(input.getAttribute('aria-describedby'));
                 return {{ value: input.value, invalid: input.getAttribute('aria-invalid'),
                          why: why && why.textContent,
                          colour: getComputedStyle(td).backgroundColor }}"
            ),
            json!([]),
        )
        .await;
    assert_eq!(refused["value"], json!("9"), "not erased: {refused}");
    assert_eq!(refused["invalid"], json!("true"), "{refused}");
    assert!(
        refused["why"]
            .as_str()
            .unwrap_or_default()
            .contains("«9» — не отметка"),
        "{refused}"
    );
    assert_ne!(refused["colour"], json!("rgba(0, 0, 0, 0)"), "{refused}");
    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM mark WHERE pupil_id = $1")
        .bind(j.pupils[0])
        .fetch_one(&j.app.pool)
        .await
        .unwrap();
    assert_eq!(written, 0);

    // Corrected in place: saved, the mark gone.
    let lesson = j.lesson(10, 5).await;
    change_todays(&driver, "input[name=value]", "5").await;
    driver
        .until(
            &format!("{TODAYS} return td.classList.contains('saved') && !td.querySelector('[aria-invalid]')"),
            json!([]),
        )
        .await;
    assert_eq!(j.mark_of(lesson, j.pupils[0]).await.as_deref(), Some("5"));

    // J6: «4» over the saved «5» is a correction; the cell asks for its reason, keeps the «4»
    // typed, and, the reason given in it, saves both (the page sends the «5» the cell was
    // loaded with: no lost-update refusal).
    change_todays(&driver, "input[name=value]", "4").await;
    let asked = driver
        .until(
            &format!(
                "{TODAYS} const reason = td.querySelector('input.reason');
                 return reason && td.querySelector('input[name=value]').value"
            ),
            json!([]),
        )
        .await;
    assert_eq!(asked, json!("4"), "what was typed stays");
    change_todays(&driver, "input.reason", "ошибка при вводе").await;
    driver
        .until(
            &format!("{TODAYS} return td.classList.contains('saved') && !td.querySelector('input.reason')"),
            json!([]),
        )
        .await;
    assert_eq!(j.mark_of(lesson, j.pupils[0]).await.as_deref(), Some("4"));
    let reason: Option<String> = sqlx::query_scalar(
        "SELECT reason FROM audit_event WHERE action = 'mark.corrected' AND pupil_id = $1",
    )
    .bind(j.pupils[0])
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    assert_eq!(reason.as_deref(), Some("ошибка при вводе"));
}

#[tokio::test]
async fn in_a_browser_on_a_phone_a_tap_on_a_mark_shows_its_work_type_and_date() {
    let j = maths_5b().await;
    let ivan: i64 = sqlx::query_scalar(
        "SELECT m.pupil_id FROM membership m JOIN account a ON a.id = m.account_id
         WHERE a.login = 'student' AND m.role = 'pupil'",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    let monday = j.lesson(10, 5).await;
    j.app.clock.set(msk(10, 5, 10, 0));
    let control: i64 = sqlx::query_scalar(
        "SELECT w.id FROM work_type w JOIN school s ON s.id = w.school_id
         WHERE s.slug = 'demo-1' AND w.name = 'Контрольная работа'",
    )
    .fetch_one(&j.app.pool)
    .await
    .unwrap();
    j.teacher
        .post(
            &format!("/lessons/{monday}/columns/type"),
            &[("work_type", &control.to_string())],
        )
        .await;
    j.type_cell(&j.teacher, monday, ivan, "4", &[]).await;

    let driver = Driver::phone().await;
    let base = j.teacher.base.clone();
    driver.sign_in(&base, "parent").await;
    for (page, mark) in [
        (
            format!("{base}/diary?pupil={ivan}&week=2026-10-05"),
            "section.day[data-date=\"2026-10-05\"] summary.mark",
        ),
        (
            format!("{base}/diary/marks?pupil={ivan}"),
            ".marks-table summary.mark",
        ),
    ] {
        driver.go(&page).await;
        let facts = "const f = document.querySelector(arguments[0]).parentElement.querySelector('.mark-facts');
            const r = f.getBoundingClientRect();
            return { shown: f.checkVisibility() && r.width > 0 && r.height > 0, text: f.innerText, left: r.left, right: r.right,
                     width: innerWidth }";
        let before = driver.script(facts, json!([mark])).await;
        assert_eq!(before["shown"], json!(false), "closed at first: {before}");
        let summary = driver.element(mark).await;
        driver.click(&summary).await;
        let after = driver.until(
            &format!("const v = (function () {{ {facts} }}).apply(null, arguments); return v.shown && v"),
            json!([mark]),
        )
        .await;
        assert_eq!(after["width"], json!(390), "a phone's width");
        let text = after["text"].as_str().unwrap_or_default();
        assert!(
            text.contains("Контрольная работа")
                && text.contains("05.10.2026")
                && text.contains("вес 2"),
            "{page}: {after}"
        );
        assert!(
            after["left"].as_f64().unwrap() >= 0.0
                && after["right"].as_f64().unwrap() <= after["width"].as_f64().unwrap(),
            "inside the screen: {after}"
        );
    }
}
