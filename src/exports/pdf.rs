//! Credential slips (реквизиты доступа) as an A4 PDF: four slips a page, cut apart along dashed
//! lines, each with a line to sign for receipt.

use chrono::NaiveDate;
use printpdf::{
    Color, FontId, Greyscale, Line, LineDashPattern, LinePoint, Mm, Op, ParsedFont, PdfDocument,
    PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, TextItem,
};

pub(super) const REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
pub(super) const BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// One person's credentials as printed on a slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSlip {
    pub school_name: String,
    pub full_name: String,
    /// In Russian: «учитель», «родитель (Иванов Пётр, 5Б)».
    pub role: String,
    pub login: String,
    pub password: String,
    /// The address to log in at.
    pub site: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub enum ExportError {
    /// No slips were asked for.
    NothingToPrint,
    /// The bundled font could not be read (a broken build).
    Font,
}

impl ExportError {
    pub fn message(&self) -> &'static str {
        match self {
            ExportError::NothingToPrint => "Не выбрано ни одного человека для печати реквизитов.",
            ExportError::Font => "Не удалось подготовить шрифт для PDF.",
        }
    }
}

const TITLE: &str = "Реквизиты доступа к электронному журналу и дневнику";
const WARNING: &str = "При первом входе пароль нужно сменить. Никому не сообщайте логин и пароль.";
const RECEIPT: &str = "Получил(а): ____________ / ____________   дата ________";

const PAGE_WIDTH: f32 = 210.0;
const PAGE_HEIGHT: f32 = 297.0;
const MARGIN: f32 = 10.0;
const SLIPS_PER_PAGE: usize = 4;
const SLIP_HEIGHT: f32 = (PAGE_HEIGHT - 2.0 * MARGIN) / SLIPS_PER_PAGE as f32;
const LEFT: f32 = 15.0;
const RIGHT: f32 = PAGE_WIDTH - LEFT;
/// Where the values after «Адрес:», «Логин:», «Пароль:» start, from `LEFT`.
const VALUE_OFFSET: f32 = 20.0;
/// Baselines of a slip's lines, in millimetres below its top (the cut line above it).
mod below {
    pub const SCHOOL: f32 = 5.5;
    pub const SCHOOL_LEADING: f32 = 3.8;
    pub const TITLE: f32 = 15.0;
    pub const NAME: f32 = 22.5;
    pub const ROLE: f32 = 27.5;
    pub const SITE: f32 = 34.5;
    pub const LOGIN: f32 = 41.5;
    pub const PASSWORD: f32 = 48.5;
    pub const WARNING: f32 = 55.0;
    pub const RECEIPT: f32 = 62.0;
}
/// The smallest type a long name or address is shrunk to.
const MIN_SIZE: f32 = 6.0;

/// The slips as an A4 PDF, `SLIPS_PER_PAGE` to a page, each dated `issued_on`.
pub fn credential_slips(
    slips: &[CredentialSlip],
    issued_on: NaiveDate,
) -> Result<Vec<u8>, ExportError> {
    if slips.is_empty() {
        return Err(ExportError::NothingToPrint);
    }
    let mut doc = PdfDocument::new("Реквизиты доступа");
    let regular = Font::load(&mut doc, REGULAR_TTF)?;
    let bold = Font::load(&mut doc, BOLD_TTF)?;
    let issued = issued_on.format("%d.%m.%Y").to_string();
    let pages = slips
        .chunks(SLIPS_PER_PAGE)
        .map(|chunk| {
            let mut canvas = Canvas {
                ops: Vec::new(),
                regular: &regular,
                bold: &bold,
            };
            for (i, slip) in chunk.iter().enumerate() {
                let top = PAGE_HEIGHT - MARGIN - i as f32 * SLIP_HEIGHT;
                canvas.slip(slip, &issued, top);
                if i + 1 < SLIPS_PER_PAGE {
                    canvas.cut_line(top - SLIP_HEIGHT);
                }
            }
            PdfPage::new(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), canvas.ops)
        })
        .collect();
    Ok(doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut Vec::new()))
}

pub(super) struct Font {
    parsed: ParsedFont,
    id: FontId,
}

impl Font {
    pub(super) fn load(doc: &mut PdfDocument, bytes: &[u8]) -> Result<Font, ExportError> {
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).ok_or(ExportError::Font)?;
        let id = doc.add_font(&parsed);
        Ok(Font { parsed, id })
    }

    /// The text's width in millimetres at `size` points.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .filter_map(|c| self.parsed.lookup_glyph_index(u32::from(c)))
            .map(|glyph| u32::from(self.parsed.get_horizontal_advance(glyph)))
            .sum();
        let per_em = f32::from(self.parsed.pdf_font_metrics.units_per_em);
        units as f32 / per_em * size * 25.4 / 72.0
    }

    /// The size (at most `size`, at least `MIN_SIZE`) at which the text fits `width`.
    pub(super) fn fit(&self, text: &str, size: f32, width: f32) -> f32 {
        let natural = self.width(text, size);
        if natural <= width {
            size
        } else {
            (size * width / natural).max(MIN_SIZE)
        }
    }

    /// The text broken into lines of at most `width` at `size` points, at spaces.
    pub(super) fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        for word in text.split_whitespace() {
            match lines.last_mut() {
                Some(line) if self.width(&format!("{line} {word}"), size) <= width => {
                    line.push(' ');
                    line.push_str(word);
                }
                _ => lines.push(word.to_string()),
            }
        }
        lines
    }
}

pub(super) struct Canvas<'f> {
    pub(super) ops: Vec<Op>,
    pub(super) regular: &'f Font,
    pub(super) bold: &'f Font,
}

impl Canvas<'_> {
    /// One line of text with its baseline at (`x`, `y`) mm from the bottom left.
    pub(super) fn text(&mut self, font: &Font, size: f32, x: f32, y: f32, text: &str) {
        self.ops.extend([
            Op::StartTextSection,
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(y)),
            },
            Op::SetFont {
                font: PdfFontHandle::External(font.id.clone()),
                size: Pt(size),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    /// One line of text, made smaller if needed to fit between `x` and the right margin.
    pub(super) fn fitted(&mut self, font: &Font, size: f32, x: f32, y: f32, text: &str) {
        let size = font.fit(text, size, RIGHT - x);
        self.text(font, size, x, y, text);
    }

    /// 0.0 is black, 1.0 white.
    pub(super) fn grey(&mut self, level: f32) {
        self.ops.push(Op::SetFillColor {
            col: Color::Greyscale(Greyscale::new(level, None)),
        });
    }

    fn cut_line(&mut self, y: f32) {
        let point = |x: f32| LinePoint {
            p: Point::new(Mm(x), Mm(y)),
            bezier: false,
        };
        self.ops.extend([
            Op::SaveGraphicsState,
            Op::SetOutlineColor {
                col: Color::Greyscale(Greyscale::new(0.45, None)),
            },
            Op::SetOutlineThickness { pt: Pt(0.6) },
            Op::SetLineDashPattern {
                dash: LineDashPattern::new(0.0, &[4.0, 3.0]),
            },
            Op::DrawLine {
                line: Line {
                    points: vec![point(MARGIN), point(PAGE_WIDTH - MARGIN)],
                    is_closed: false,
                },
            },
            Op::RestoreGraphicsState,
        ]);
    }

    /// One slip below `top` (mm from the bottom of the page).
    fn slip(&mut self, slip: &CredentialSlip, issued: &str, top: f32) {
        let (regular, bold) = (self.regular, self.bold);
        let width = RIGHT - LEFT;

        self.grey(0.3);
        let mut size = 9.0;
        let mut school = regular.wrap(&slip.school_name, size, width);
        while school.len() > 2 && size > MIN_SIZE {
            size -= 0.5;
            school = regular.wrap(&slip.school_name, size, width);
        }
        for (i, line) in school.iter().take(2).enumerate() {
            self.fitted(
                regular,
                size,
                LEFT,
                top - below::SCHOOL - i as f32 * below::SCHOOL_LEADING,
                line,
            );
        }
        let date = format!("выдано {issued}");
        self.text(
            regular,
            9.0,
            RIGHT - regular.width(&date, 9.0),
            top - below::TITLE,
            &date,
        );
        self.grey(0.0);

        self.fitted(bold, 11.5, LEFT, top - below::TITLE, TITLE);
        self.fitted(bold, 14.0, LEFT, top - below::NAME, &slip.full_name);
        self.fitted(regular, 10.0, LEFT, top - below::ROLE, &slip.role);

        let value_x = LEFT + VALUE_OFFSET;
        let fields = [
            ("Адрес:", &slip.site, 11.0, top - below::SITE),
            ("Логин:", &slip.login, 14.0, top - below::LOGIN),
            ("Пароль:", &slip.password, 14.0, top - below::PASSWORD),
        ];
        for (label, value, value_size, y) in fields {
            self.text(regular, 11.0, LEFT, y, label);
            self.fitted(bold, value_size, value_x, y, value);
        }

        self.fitted(regular, 9.0, LEFT, top - below::WARNING, WARNING);
        self.text(regular, 10.0, LEFT, top - below::RECEIPT, RECEIPT);
    }
}

#[cfg(test)]
#[path = "pdf_tests.rs"]
mod tests;
