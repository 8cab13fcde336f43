use super::*;

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

#[test]
fn a_windows_1251_csv_with_semicolons_and_yo_is_read_as_russian_text() {
    let text = "Фамилия;Имя;Класс;Примечание\r\n\
                Ёлкина ;  Алёна  Мария;5Б;\"Шкаф; полка\"\r\n\
                ;;;\r\n\
                Щёголев;Пётр;5Б;\r\n";
    let (bytes, _, unmappable) = WINDOWS_1251.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the test needs non-UTF-8 bytes"
    );

    let rows = read_table(&bytes, "список.csv").unwrap();

    assert_eq!(
        rows,
        vec![
            row(&["Фамилия", "Имя", "Класс", "Примечание"]),
            row(&["Ёлкина", "Алёна Мария", "5Б", "Шкаф; полка"]),
            row(&["Щёголев", "Пётр", "5Б", ""]),
        ]
    );
}

#[test]
fn a_utf8_csv_with_a_bom_and_commas_is_read_without_the_bom() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        "Фамилия,Имя,Телефон\n\"Иванова, мл.\",Мария,8 912 345-67-89\n".as_bytes(),
    );

    let rows = read_table(&bytes, "export.txt").unwrap();

    assert_eq!(rows[0], row(&["Фамилия", "Имя", "Телефон"]));
    assert_eq!(rows[1], row(&["Иванова, мл.", "Мария", "8 912 345-67-89"]));
}

#[test]
fn a_utf16_csv_with_tabs_as_excel_saves_unicode_text_is_read() {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "Фамилия\tИмя\r\nСидоров\tЁжик\r\n".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }

    let rows = read_table(&bytes, "unicode.txt").unwrap();

    assert_eq!(
        rows,
        vec![row(&["Фамилия", "Имя"]), row(&["Сидоров", "Ёжик"])]
    );
}

#[test]
fn an_xlsx_gives_its_first_sheet_with_dates_as_russian_text_and_whole_numbers() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("dd.mm.yyyy");
    let iso = Format::new().set_num_format("yyyy-mm-dd");
    for (col, title) in [
        "Фамилия",
        "Дата рождения",
        "Дата согласия",
        "Телефон",
        "Класс",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *title).unwrap();
    }
    sheet.write_string(2, 0, "  Ёлкина  ").unwrap();
    let birth = ExcelDateTime::from_ymd(2014, 3, 8).unwrap();
    sheet
        .write_datetime_with_format(2, 1, &birth, &date)
        .unwrap();
    // 45536 is 2024-09-01 as Excel counts days: a plain number with a date format.
    sheet.write_number_with_format(2, 2, 45536.0, &iso).unwrap();
    sheet.write_number(2, 3, 89123456789.0).unwrap();
    sheet.write_string(2, 4, "5Б").unwrap();
    sheet.write_string(3, 0, "Петров").unwrap();
    sheet.write_string(3, 1, "1.9.2013").unwrap();
    sheet.write_number(3, 3, 2.5).unwrap();
    book.add_worksheet()
        .write_string(0, 0, "Второй лист")
        .unwrap();
    let bytes = book.save_to_buffer().unwrap();

    // Detected by the ZIP signature even without the extension.
    let rows = read_table(&bytes, "upload").unwrap();

    assert_eq!(
        rows,
        vec![
            row(&[
                "Фамилия",
                "Дата рождения",
                "Дата согласия",
                "Телефон",
                "Класс"
            ]),
            row(&["Ёлкина", "08.03.2014", "01.09.2024", "89123456789", "5Б"]),
            row(&["Петров", "1.9.2013", "", "2.5", ""]),
        ]
    );
}

#[test]
fn files_that_are_not_tables_are_refused_with_a_russian_message() {
    let binary = [0x89, b'P', b'N', b'G', 0, 0, 0, 13];
    assert_eq!(
        read_table(&binary, "photo.png"),
        Err(ImportError::NotATable)
    );
    assert_eq!(
        read_table(b"PK\x03\x04 broken", "list.xlsx"),
        Err(ImportError::UnreadableSpreadsheet)
    );
    assert_eq!(
        read_table("Фамилия;Имя\n".as_bytes(), "renamed.xlsx"),
        Err(ImportError::UnreadableSpreadsheet)
    );
    assert_eq!(
        read_table(b";;\r\n ; ;\r\n", "empty.csv"),
        Err(ImportError::NoRows)
    );
    assert_eq!(read_table(b"", "empty.csv"), Err(ImportError::NoRows));
    assert_eq!(
        ImportError::NotATable.to_string(),
        "Файл не похож на таблицу CSV или XLSX."
    );
    assert_eq!(
        ImportError::NoRows.message(),
        "В файле нет строк с данными."
    );
}

#[test]
fn the_separator_is_the_one_the_header_uses_most_outside_quotes() {
    assert_eq!(separator("Фамилия;Имя;Отчество"), b';');
    assert_eq!(separator("Фамилия,Имя,Отчество"), b',');
    assert_eq!(separator("Фамилия\tИмя"), b'\t');
    assert_eq!(separator("\"Фамилия, имя\";Класс"), b';');
    assert_eq!(separator("ФИО"), b';');
}
