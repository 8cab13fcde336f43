//! Hostile spreadsheets built in memory, for the tests and for `zhurnal bench`: a minimal XLSX
//! package written entry by entry, an absurd declared range, and a zip bomb whose entry inflates
//! to hundreds of megabytes from a small upload (a hand-made deflate stream: building it takes
//! milliseconds, compressing the zeros would take seconds).

/// One entry of a package: its name, its bytes as stored, and how they are stored.
struct Entry {
    name: String,
    data: Vec<u8>,
    /// Deflated (method 8) or stored (method 0).
    deflated: bool,
    /// The size the headers declare once inflated.
    size: u32,
    crc: u32,
}

impl Entry {
    fn stored(name: &str, text: String) -> Self {
        let data = text.into_bytes();
        Entry {
            name: name.to_string(),
            crc: crc32(&data),
            size: data.len() as u32,
            data,
            deflated: false,
        }
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// The ZIP file of `entries`: local headers, data, the central directory, its end.
fn package(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let le16 = |v: &mut Vec<u8>, n: u16| v.extend_from_slice(&n.to_le_bytes());
    let le32 = |v: &mut Vec<u8>, n: u32| v.extend_from_slice(&n.to_le_bytes());
    for e in entries {
        let offset = out.len() as u32;
        let method = if e.deflated { 8 } else { 0 };
        le32(&mut out, 0x0403_4b50);
        for n in [20, 0, method, 0, 0x21] {
            le16(&mut out, n);
        }
        for n in [e.crc, e.data.len() as u32, e.size] {
            le32(&mut out, n);
        }
        le16(&mut out, e.name.len() as u16);
        le16(&mut out, 0);
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&e.data);

        le32(&mut central, 0x0201_4b50);
        for n in [20, 20, 0, method, 0, 0x21] {
            le16(&mut central, n);
        }
        for n in [e.crc, e.data.len() as u32, e.size] {
            le32(&mut central, n);
        }
        for n in [e.name.len() as u16, 0, 0, 0, 0] {
            le16(&mut central, n);
        }
        le32(&mut central, 0);
        le32(&mut central, offset);
        central.extend_from_slice(e.name.as_bytes());
    }
    let start = out.len() as u32;
    out.extend_from_slice(&central);
    le32(&mut out, 0x0605_4b50);
    for n in [0, 0, entries.len() as u16, entries.len() as u16] {
        le16(&mut out, n);
    }
    le32(&mut out, central.len() as u32);
    le32(&mut out, start);
    le16(&mut out, 0);
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The entries of a one-sheet workbook holding `rows` from A1 as inline strings, its sheet
/// declaring `dimension` as its used range.
fn workbook(rows: &[Vec<String>], dimension: &str) -> Vec<Entry> {
    let mut sheet = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <dimension ref=\"{dimension}\"/><sheetData>"
    );
    for (r, cells) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, text) in cells.iter().enumerate() {
            let column = char::from(b'A' + c as u8);
            sheet.push_str(&format!(
                "<c r=\"{column}{}\" t=\"inlineStr\"><is><t>{}</t></is></c>",
                r + 1,
                escape(text)
            ));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let main = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let types = "http://schemas.openxmlformats.org/package/2006/content-types";
    let rels = "http://schemas.openxmlformats.org/package/2006/relationships";
    vec![
        Entry::stored(
            "[Content_Types].xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"{types}\">\
                 <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
                 <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
                 <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
                 <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
                 </Types>"
            ),
        ),
        Entry::stored(
            "_rels/.rels",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"{rels}\">\
                 <Relationship Id=\"rId1\" Type=\"{main}/officeDocument\" Target=\"xl/workbook.xml\"/>\
                 </Relationships>"
            ),
        ),
        Entry::stored(
            "xl/workbook.xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
                 <workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"{main}\">\
                 <sheets><sheet name=\"Лист1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        Entry::stored(
            "xl/_rels/workbook.xml.rels",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"{rels}\">\
                 <Relationship Id=\"rId1\" Type=\"{main}/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
                 </Relationships>"
            ),
        ),
        Entry::stored("xl/worksheets/sheet1.xml", sheet),
    ]
}

fn owned(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// An XLSX of `rows` (at most 26 columns) whose sheet declares `dimension` as its used range —
/// `"A1:XFD1048576"` is the attack: a reader that allocates the declared range asks for
/// 17 billion cells.
pub fn xlsx_declaring(rows: &[&[&str]], dimension: &str) -> Vec<u8> {
    package(&workbook(&owned(rows), dimension))
}

/// A raw deflate stream of `1 + 258 × matches` zero bytes: a literal zero, then `matches`
/// copies of 258 bytes from one byte back, in one fixed-Huffman block (13 bits per copy).
fn zeros_deflated(matches: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        /// `len` bits of `value`, least significant first (block header).
        fn push(&mut self, value: u64, len: u32) {
            self.acc |= value << self.n;
            self.n += len;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code: most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            let reversed = (0..len).fold(0, |r, i| (r << 1) | ((code >> i) & 1));
            self.push(reversed, len);
        }
    }
    let mut bits = Bits {
        out: Vec::with_capacity(matches * 13 / 8 + 16),
        acc: 0,
        n: 0,
    };
    bits.push(1, 1); // the final block
    bits.push(1, 2); // fixed Huffman codes
    bits.code(0b0011_0000, 8); // literal 0
    for _ in 0..matches {
        bits.code(0b1100_0101, 8); // length 258 (code 285)
        bits.code(0, 5); // distance 1 (code 0)
    }
    bits.code(0, 7); // end of block
    bits.push(0, 7);
    bits.out
}

/// A valid small XLSX (a header and one pupil) with one more entry that inflates to about
/// `megabytes` MB of zeros; its headers declare that size, or `declared` bytes when given (a
/// bomb that lies about its size).
pub fn zip_bomb(megabytes: usize, declared: Option<u32>) -> Vec<u8> {
    let mut entries = workbook(
        &owned(&[&["Фамилия", "Имя"], &["Ёлкина", "Алёна"]]),
        "A1:B2",
    );
    let matches = (megabytes << 20) / 258;
    entries.push(Entry {
        name: "xl/media/image1.png".into(),
        data: zeros_deflated(matches),
        deflated: true,
        size: declared.unwrap_or((1 + 258 * matches) as u32),
        crc: 0,
    });
    package(&entries)
}

/// A valid small XLSX (a header and one pupil) whose styles part, under 2 MB unpacked, holds one
/// font with a name of half a megabyte and 45 000 cell formats using it: a reader that builds a
/// style per cell format, cloning its font, asks for about 22 GB.
pub fn styles_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut styles = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <fonts count=\"1\"><font><name val=\"{}\"/></font></fonts><cellXfs>",
        "Ш".repeat(250_000)
    );
    for _ in 0..45_000 {
        styles.push_str("<xf numFmtId=\"14\" fontId=\"0\"/>");
    }
    styles.push_str("</cellXfs></styleSheet>");
    let mut entries = workbook(
        &owned(&[&["Фамилия", "Имя"], &["Ёлкина", "Алёна"]]),
        "A1:B2",
    );
    entries.push(Entry::stored("xl/styles.xml", styles));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for e in entries {
        zip.start_file(e.name, options).expect("in memory");
        zip.write_all(&e.data).expect("in memory");
    }
    zip.finish().expect("in memory").into_inner()
}

/// The heaviest XLSX the bounds let through to the spreadsheet reader: shared strings of almost
/// 8 MB (one of 999 letters, the rest tiny), and a sheet of 5 000 rows × 20 cells all showing the
/// long one — the reader stops at the cap on text kept (16 MB). For measuring memory: building
/// it compresses 30 MB, which takes seconds in a debug build.
pub fn heaviest() -> Vec<u8> {
    use std::io::Write;
    let tiny = 460_000;
    let mut strings = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
         uniqueCount=\"{}\"><si><t>{}</t></si>",
        tiny + 1,
        "Ж".repeat(999)
    );
    for _ in 0..tiny {
        strings.push_str("<si><t>a</t></si>");
    }
    strings.push_str("</sst>");
    let mut sheet = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <dimension ref=\"A1:T5000\"/><sheetData>",
    );
    for r in 1..=5_000 {
        sheet.push_str(&format!("<row r=\"{r}\">"));
        for c in 0..20u8 {
            let column = char::from(b'A' + c);
            sheet.push_str(&format!("<c r=\"{column}{r}\" t=\"s\"><v>0</v></c>"));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let mut entries = workbook(&[], "A1");
    entries.retain(|e| e.name != "xl/worksheets/sheet1.xml");
    entries.push(Entry::stored("xl/worksheets/sheet1.xml", sheet));
    entries.push(Entry::stored("xl/sharedStrings.xml", strings));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for e in entries {
        zip.start_file(e.name, options).expect("in memory");
        zip.write_all(&e.data).expect("in memory");
    }
    zip.finish().expect("in memory").into_inner()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    #[test]
    fn the_hand_made_deflate_stream_inflates_to_its_zeros() {
        let bomb = super::zip_bomb(1, None);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bomb)).unwrap();
        let mut entry = zip.by_name("xl/media/image1.png").unwrap();
        let mut data = Vec::new();
        // The CRC is not computed (a bomb is never read to its end): the data is what counts.
        let _ = entry.read_to_end(&mut data);
        assert_eq!(data.len(), 1 + 258 * ((1 << 20) / 258));
        assert!(data.iter().all(|&b| b == 0));
    }

    #[test]
    fn the_declared_range_sample_is_a_workbook_the_reader_opens() {
        let bytes = super::xlsx_declaring(&[&["Фамилия", "Имя"], &["Ёлкина", "Алёна"]], "A1:B2");
        let rows = crate::imports::table::read_table(&bytes, "x.xlsx", 10).unwrap();
        assert_eq!(rows[1], vec!["Ёлкина".to_string(), "Алёна".to_string()]);
    }
}
