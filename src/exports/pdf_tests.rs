use std::process::Command;

use super::*;

fn issued() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 9, 1).unwrap()
}

fn slips() -> Vec<CredentialSlip> {
    let people = [
        ("Ёлкина Алёна Петровна", "учитель", "elkina.ap", "Kp7mNx2q"),
        (
            "Щёголев Юрий Ильич",
            "заместитель директора",
            "shchegolev.ii",
            "Tz4wYb8r",
        ),
        (
            "Иванова Мария Андреевна",
            "родитель (Иванов Пётр, 5Б)",
            "ivanova.ma",
            "Hd3sQv9e",
        ),
        (
            "Иванов Пётр Сергеевич",
            "обучающийся, 5Б",
            "ivanov.ps",
            "Wm5cRj2t",
        ),
        (
            "Мамедов Али Гусейн оглы",
            "родитель (Мамедова Лейла, 11А)",
            "mamedov.ag",
            "Pf8nLx4k",
        ),
        ("Сидорова Ёлка", "учитель", "sidorova.e", "Bq2vGh7y"),
        ("Орлов Игорь Иванович", "директор", "orlov.ii", "Nc6tZs3w"),
    ];
    people
        .iter()
        .map(|(name, role, login, password)| CredentialSlip {
            school_name: "МБОУ «Средняя общеобразовательная школа № 5» г. Кирова".to_string(),
            full_name: name.to_string(),
            role: role.to_string(),
            login: login.to_string(),
            password: password.to_string(),
            site: "https://journal.school5.ru".to_string(),
        })
        .collect()
}

/// Runs a poppler tool on the PDF; fails the test clearly when the tool is missing.
fn poppler(tool: &str, pdf: &std::path::Path) -> String {
    let output = Command::new(tool)
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap_or_else(|e| {
            panic!("{tool} is needed to check the PDF ({e}): apt-get install -y poppler-utils")
        });
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn seven_slips_make_two_a4_pages_whose_text_can_be_read_back() {
    let pdf = credential_slips(&slips(), issued()).unwrap();
    let file = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    std::fs::write(file.path(), &pdf).unwrap();

    let text = poppler("pdftotext", file.path());
    let pages = text.split('\u{c}').filter(|p| !p.trim().is_empty()).count();

    assert_eq!(pages, 2, "{text}");
    assert_eq!(
        text.matches("Реквизиты доступа к электронному журналу")
            .count(),
        7
    );
    for slip in slips() {
        for expected in [&slip.full_name, &slip.login, &slip.password, &slip.role] {
            assert!(
                text.contains(expected.as_str()),
                "{expected} missing from:\n{text}"
            );
        }
    }
    for expected in [
        "МБОУ «Средняя общеобразовательная школа № 5» г. Кирова",
        "https://journal.school5.ru",
        "выдано 01.09.2025",
        "При первом входе пароль нужно сменить.",
        "Получил(а):",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    let info = Command::new("pdfinfo").arg(file.path()).output();
    let info = String::from_utf8(info.expect("pdfinfo (poppler-utils)").stdout).unwrap();
    assert!(info.contains("A4"), "{info}");
}

#[test]
fn no_slips_is_an_error_rather_than_an_empty_file() {
    assert_eq!(
        credential_slips(&[], issued()),
        Err(ExportError::NothingToPrint)
    );
}

#[test]
fn long_texts_wrap_at_spaces_and_shrink_to_fit() {
    let mut doc = PdfDocument::new("test");
    let font = Font::load(&mut doc, REGULAR_TTF).unwrap();
    let name = "Муниципальное бюджетное общеобразовательное учреждение «Средняя \
                общеобразовательная школа № 5 с углублённым изучением отдельных предметов»";

    let lines = font.wrap(name, 9.0, 180.0);

    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| font.width(l, 9.0) <= 180.0));
    assert_eq!(
        lines.join(" "),
        name.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let size = font.fit(name, 9.0, 180.0);
    assert!(size < 9.0 && font.width(name, size) <= 180.01);
    assert_eq!(font.fit("Иванов", 14.0, 180.0), 14.0);
}
