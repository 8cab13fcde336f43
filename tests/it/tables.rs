//! Reading what a report shows: a page's table cells as text, an XLSX download's first sheet
//! with numbers written as the pages write them (85,7), a CSV download. One reader for every
//! report test, so a page and its files are compared the same way everywhere.

use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;

use crate::helpers::Client;

/// Text of an HTML fragment: tags stripped, the template's entities decoded, whitespace squeezed.
pub fn strip(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `<td>` cells of every row of an HTML fragment (rows of header cells only are skipped).
pub fn cells(html: &str) -> Vec<Vec<String>> {
    html.split("<tr")
        .skip(1)
        .map(|row| {
            let row = row.split("</tr>").next().unwrap_or("");
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let inner = cell.split_once('>').map_or("", |(_, rest)| rest);
                    strip(inner.split("</td>").next().unwrap_or(""))
                })
                .collect::<Vec<_>>()
        })
        .filter(|r| !r.is_empty())
        .collect()
}

/// The body rows of the page's table `<table class="grid {class}">`.
pub fn table_cells(html: &str, class: &str) -> Vec<Vec<String>> {
    let table = html
        .split(&format!("class=\"grid {class}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("a table of class {class}"))
        .split("</table>")
        .next()
        .unwrap();
    let body = table
        .split("<tbody>")
        .nth(1)
        .unwrap_or(table)
        .split("</tbody>")
        .next()
        .unwrap();
    cells(body)
}

/// The row whose first two cells are `first` and `second`.
pub fn row<'a>(rows: &'a [Vec<String>], first: &str, second: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r.len() > 1 && r[0] == first && r[1] == second)
        .unwrap_or_else(|| panic!("a row {first} {second} in {rows:?}"))
}

/// A page that must answer 200.
pub async fn page(client: &Client, path: &str) -> String {
    let (status, body) = client.text(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// A download that must answer 200, as bytes.
pub async fn bytes(client: &Client, path: &str) -> Vec<u8> {
    let response = client.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.bytes().await.unwrap().to_vec()
}

/// A CSV download: starts with the UTF-8 BOM Russian Excel needs; its text after it.
pub async fn csv(client: &Client, path: &str) -> String {
    let data = bytes(client, path).await;
    assert!(data.starts_with(&[0xEF, 0xBB, 0xBF]), "{path}: a BOM");
    String::from_utf8(data[3..].to_vec()).expect("UTF-8")
}

/// An XLSX download (an attachment of the spreadsheet type): its first sheet as text, numbers
/// written as the pages write them (`exports::table::number_text`: 85,7), dates as ДД.ММ.ГГГГ.
pub async fn xlsx(client: &Client, path: &str) -> Vec<Vec<String>> {
    let r = client.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let data = r.bytes().await.unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(data.to_vec())).expect("an XLSX");
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) => zhurnal::exports::table::number_text(*f),
                    Data::Int(i) => i.to_string(),
                    Data::DateTime(d) => d
                        .as_datetime()
                        .unwrap()
                        .date()
                        .format("%d.%m.%Y")
                        .to_string(),
                    other => panic!("unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect()
}

/// Owned strings, to compare a row with.
pub fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}
