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

    let rows = read_table(&bytes, "список.csv", 100).unwrap();

    assert_eq!(
        rows,
        vec![
            row(&["Фамилия", "Имя", "Класс", "Примечание"]),
            row(&["Ёлкина", "Алёна Мария", "5Б", "Шкаф; полка"]),
            row(&["Щёголев", "Пётр", "5Б"]),
        ]
    );
}

#[test]
fn a_utf8_csv_with_a_bom_and_commas_is_read_without_the_bom() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        "Фамилия,Имя,Телефон\n\"Иванова, мл.\",Мария,8 912 345-67-89\n".as_bytes(),
    );

    let rows = read_table(&bytes, "export.txt", 100).unwrap();

    assert_eq!(rows[0], row(&["Фамилия", "Имя", "Телефон"]));
    assert_eq!(rows[1], row(&["Иванова, мл.", "Мария", "8 912 345-67-89"]));
}

#[test]
fn a_utf16_csv_with_tabs_as_excel_saves_unicode_text_is_read() {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "Фамилия\tИмя\r\nСидоров\tЁжик\r\n".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }

    let rows = read_table(&bytes, "unicode.txt", 100).unwrap();

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
    let rows = read_table(&bytes, "upload", 100).unwrap();

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
            row(&["Петров", "1.9.2013", "", "2.5"]),
        ]
    );
}

#[test]
fn files_that_are_not_tables_are_refused_with_a_russian_message() {
    let binary = [0x89, b'P', b'N', b'G', 0, 0, 0, 13];
    assert_eq!(
        read_table(&binary, "photo.png", 100),
        Err(ImportError::NotATable)
    );
    assert_eq!(
        read_table(b"PK\x03\x04 broken", "list.xlsx", 100),
        Err(ImportError::UnreadableSpreadsheet)
    );
    assert_eq!(
        read_table("Фамилия;Имя\n".as_bytes(), "renamed.xlsx", 100),
        Err(ImportError::UnreadableSpreadsheet)
    );
    assert_eq!(
        read_table(b";;\r\n ; ;\r\n", "empty.csv", 100),
        Err(ImportError::NoRows)
    );
    assert_eq!(read_table(b"", "empty.csv", 100), Err(ImportError::NoRows));
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

/// A small XLSX whose first sheet holds `rows` from A1.
fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, cells) in rows.iter().enumerate() {
        for (c, text) in cells.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *text).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// The package with `entry` rewritten by `change` (or added, when absent, as `change("")`).
pub(crate) fn rewritten(bytes: &[u8], entry: &str, change: impl Fn(&str) -> String) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut from = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut to = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut found = false;
    for i in 0..from.len() {
        let mut file = from.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut text = Vec::new();
        file.read_to_end(&mut text).unwrap();
        if name == entry {
            found = true;
            text = change(&String::from_utf8(text).unwrap()).into_bytes();
        }
        to.start_file(name, options).unwrap();
        to.write_all(&text).unwrap();
    }
    if !found {
        to.start_file(entry, options).unwrap();
        to.write_all(change("").as_bytes()).unwrap();
    }
    to.finish().unwrap().into_inner()
}

#[test]
fn an_xlsx_declaring_the_whole_sheet_as_its_range_is_read_by_its_cells_without_allocating_it() {
    let bytes = rewritten(
        &xlsx(&[&["Фамилия", "Имя"], &["Ёлкина", "Алёна"]]),
        "xl/worksheets/sheet1.xml",
        |xml| {
            let start = xml.find("<dimension ref=\"").unwrap() + 16;
            let end = start + xml[start..].find('"').unwrap();
            format!("{}A1:XFD1048576{}", &xml[..start], &xml[end..])
        },
    );
    assert!(bytes.len() < 10_000);

    let rows = read_table(&bytes, "list.xlsx", 100).unwrap();

    assert_eq!(
        rows,
        vec![row(&["Фамилия", "Имя"]), row(&["Ёлкина", "Алёна"])]
    );
}

#[test]
fn a_zip_bomb_is_refused_before_the_spreadsheet_reader_inflates_it() {
    let bytes = crate::imports::samples::zip_bomb(200, None);
    assert!(bytes.len() < MAX_UPLOAD_BYTES, "{}", bytes.len());

    let refused = read_table(&bytes, "list.xlsx", 100).unwrap_err();

    assert_eq!(refused, ImportError::TooLargeUnpacked);
    assert!(refused.message().contains("больше чем в 32 МБ"));
}

#[test]
fn a_bomb_that_understates_its_size_is_refused_by_the_running_total() {
    // The entry says 1 000 bytes in both its headers; it inflates to 200 MB. The zip reader
    // stops at the declared size (damaged file); the running total would stop it at 32 MB.
    let bytes = crate::imports::samples::zip_bomb(200, Some(1_000));

    let refused = read_table(&bytes, "list.xlsx", 100).unwrap_err();

    assert!(
        matches!(
            refused,
            ImportError::TooLargeUnpacked | ImportError::UnreadableSpreadsheet
        ),
        "{refused:?}"
    );
}

#[test]
fn shared_strings_declaring_a_billion_entries_are_refused_before_the_reader_reserves_them() {
    let bytes = rewritten(
        &xlsx(&[&["Фамилия"], &["Ёлкина"]]),
        "xl/sharedStrings.xml",
        |xml| xml.replacen("uniqueCount=\"", "uniqueCount=\"99999999999", 1),
    );

    assert_eq!(
        read_table(&bytes, "list.xlsx", 100),
        Err(ImportError::TooLargeUnpacked)
    );
}

#[test]
fn an_xlsx_past_the_row_or_column_cap_is_refused_naming_the_cap() {
    let many: Vec<Vec<String>> = (0..130).map(|i| vec![format!("Ученик {i}")]).collect();
    let many: Vec<Vec<&str>> = many
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let many: Vec<&[&str]> = many.iter().map(Vec::as_slice).collect();
    let refused = read_table(&xlsx(&many), "list.xlsx", 100).unwrap_err();
    assert_eq!(refused, ImportError::TooManyRows(100));
    assert!(
        refused
            .message()
            .starts_with("В таблице больше 100 строк: за один раз можно загрузить не больше 100."),
        "{}",
        refused.message()
    );

    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().write_string(0, 300, "далеко").unwrap();
    let wide = book.save_to_buffer().unwrap();
    assert_eq!(
        read_table(&wide, "list.xlsx", 100),
        Err(ImportError::TooManyColumns)
    );
}

#[test]
fn a_csv_past_a_cap_is_refused_and_a_long_cell_is_named_by_its_row() {
    let rows: String = (0..5_200).map(|i| format!("Иванов{i};Иван\n")).collect();
    let refused = read_table(rows.as_bytes(), "list.csv", 5_000).unwrap_err();
    assert_eq!(refused, ImportError::TooManyRows(5_000));
    assert!(refused.message().contains("не больше 5 000"));

    let wide = format!("{}x\n", ";".repeat(MAX_COLUMNS));
    assert_eq!(
        read_table(wide.as_bytes(), "list.csv", 100),
        Err(ImportError::TooManyColumns)
    );
    // Empty cells past the cap are nobody's business.
    let trailing = format!("Фамилия{}\n", ";".repeat(10_000));
    assert_eq!(
        read_table(trailing.as_bytes(), "list.csv", 100).unwrap(),
        vec![row(&["Фамилия"])]
    );

    let long = format!("Фамилия;Имя\nИванов;{}\n", "я".repeat(MAX_CELL_CHARS + 1));
    let refused = read_table(long.as_bytes(), "list.csv", 100).unwrap_err();
    assert_eq!(refused, ImportError::CellTooLong(2));
    assert_eq!(
        refused.message(),
        "Строка 2 файла: в ячейке больше 1 000 символов."
    );

    let big = vec![b'a'; MAX_UPLOAD_BYTES + 1];
    assert_eq!(
        read_table(&big, "list.csv", 100),
        Err(ImportError::TooLarge)
    );
}

#[test]
fn binary_junk_xls_and_ods_are_refused_with_a_russian_message() {
    // Bytes without a NUL, as a photo or an executable renamed to .csv.
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 1)
        .collect();
    assert_eq!(
        read_table(&junk, "list.csv", 100),
        Err(ImportError::NotATable)
    );
    let mut ole = OLE_MAGIC.to_vec();
    ole.extend_from_slice(&[0; 512]);
    assert_eq!(
        read_table(&ole, "list.xls", 100),
        Err(ImportError::OtherSpreadsheet)
    );
    assert_eq!(
        read_table(&xlsx(&[&["Фамилия"]]), "list.ods", 100),
        Err(ImportError::OtherSpreadsheet)
    );
    assert!(
        ImportError::OtherSpreadsheet
            .message()
            .contains("сохраните таблицу как XLSX или CSV")
    );
}

#[test]
fn styles_that_would_make_the_reader_clone_a_huge_font_per_format_are_cut_to_number_formats() {
    let bytes = crate::imports::samples::styles_bomb();
    assert!(bytes.len() < MAX_UPLOAD_BYTES, "{}", bytes.len());

    let rows = read_table(&bytes, "list.xlsx", 100).unwrap();

    assert_eq!(rows[1], row(&["Ёлкина", "Алёна"]));
}

#[test]
fn a_package_with_more_cell_formats_than_excel_allows_is_refused() {
    let mut styles = String::from("<styleSheet><cellXfs>");
    for _ in 0..64_001 {
        styles.push_str("<xf/>");
    }
    styles.push_str("</cellXfs></styleSheet>");
    assert_eq!(
        plain_styles(styles.as_bytes()),
        Err(ImportError::TooManyFormats)
    );
    let kept = plain_styles(
        br#"<styleSheet><numFmts><numFmt numFmtId="164" formatCode='dd"."mm"."yyyy'/></numFmts>
            <cellStyleXfs><xf numFmtId="3" fontId="0"/></cellStyleXfs>
            <cellXfs><xf numFmtId="164" fontId="0"><alignment/></xf><xf fontId="1"/></cellXfs></styleSheet>"#,
    )
    .unwrap();
    let kept = String::from_utf8(kept).unwrap();
    assert!(
        kept.contains(
            r#"<numFmts><numFmt numFmtId="164" formatCode="dd&quot;.&quot;mm&quot;.&quot;yyyy"/></numFmts><cellXfs><xf numFmtId="164"/><xf/></cellXfs>"#
        ),
        "{kept}"
    );
}
