//! The pages of the year's archive (regulations §6) as A4 PDFs: headings, lines of text and
//! ruled tables that continue on the next page with their head repeated. Every page carries the
//! school's name and the year at the top, and the director's signature line and «Стр. N из M»
//! at the bottom (the pages are counted once the document is laid out).

use printpdf::{
    Color, Greyscale, Line, LinePoint, Mm, Op, PdfDocument, PdfPage, PdfSaveOptions, Point, Pt,
};

use super::pdf::{BOLD_TTF, Canvas, ExportError, Font, REGULAR_TTF};

const PAGE_WIDTH: f32 = 210.0;
const PAGE_HEIGHT: f32 = 297.0;
const LEFT: f32 = 15.0;
pub const TEXT_WIDTH: f32 = PAGE_WIDTH - LEFT - 12.0;
const TOP: f32 = PAGE_HEIGHT - 22.0;
const BOTTOM: f32 = 24.0;
const ROW: f32 = 4.6;
const CELL_SIZE: f32 = 7.0;
/// The distance between the lines of a long cell.
const LINE: f32 = 3.1;
/// The smallest type a table cell is shrunk to.
const MIN_CELL_SIZE: f32 = 4.0;

/// What every page of a document says besides its content.
pub struct Frame<'a> {
    pub school: &'a str,
    /// «Учебный год 2026/2027».
    pub year: &'a str,
    /// The director's name for the signature line, or empty for a blank «ФИО».
    pub director: &'a str,
}

/// A ruled table: column heads with their widths in millimetres, then the rows.
pub struct Grid {
    pub columns: Vec<(String, f32)>,
    pub rows: Vec<Vec<String>>,
}

/// Lays a document out on A4 pages; `finish` numbers them.
pub struct Writer<'f> {
    canvas: Canvas<'f>,
    y: f32,
    pages: Vec<Vec<Op>>,
    /// Repeated at the top of each page the current part continues on.
    running: Option<String>,
}

/// A document written by `write`, as PDF bytes.
pub fn document(
    title: &str,
    frame: &Frame<'_>,
    write: impl FnOnce(&mut Writer<'_>),
) -> Result<Vec<u8>, ExportError> {
    let mut doc = PdfDocument::new(title);
    let regular = Font::load(&mut doc, REGULAR_TTF)?;
    let bold = Font::load(&mut doc, BOLD_TTF)?;
    let mut writer = Writer {
        canvas: Canvas {
            ops: Vec::new(),
            regular: &regular,
            bold: &bold,
        },
        y: TOP,
        pages: Vec::new(),
        running: None,
    };
    write(&mut writer);
    let bodies = writer.finish();
    let total = bodies.len();
    let signature = format!(
        "Директор ________________ /{}/",
        if frame.director.is_empty() {
            "ФИО"
        } else {
            frame.director
        }
    );
    let pages = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let mut canvas = Canvas {
                ops: body,
                regular: &regular,
                bold: &bold,
            };
            canvas.grey(0.3);
            let school_size = fit(&regular, frame.school, 8.0, TEXT_WIDTH - 45.0);
            canvas.text(
                &regular,
                school_size,
                LEFT,
                PAGE_HEIGHT - 12.0,
                frame.school,
            );
            let year_width = regular.width(frame.year, 8.0);
            canvas.text(
                &regular,
                8.0,
                LEFT + TEXT_WIDTH - year_width,
                PAGE_HEIGHT - 12.0,
                frame.year,
            );
            canvas.grey(0.0);
            canvas.text(&regular, 9.0, LEFT, 12.0, &signature);
            let number = format!("Стр. {} из {}", i + 1, total);
            let width = regular.width(&number, 9.0);
            canvas.text(&regular, 9.0, LEFT + TEXT_WIDTH - width, 12.0, &number);
            PdfPage::new(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), canvas.ops)
        })
        .collect();
    Ok(doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut Vec::new()))
}

/// A row's height: its tallest cell.
fn row_height(cells: &[(f32, Vec<String>)]) -> f32 {
    let lines = cells.iter().map(|(_, l)| l.len()).max().unwrap_or(1).max(1);
    ROW + (lines - 1) as f32 * LINE
}

/// The size (at most `size`) at which `text` fits `width`, down to `MIN_CELL_SIZE`.
fn fit(font: &Font, text: &str, size: f32, width: f32) -> f32 {
    let natural = font.width(text, size);
    if natural <= width || natural == 0.0 {
        size
    } else {
        (size * width / natural).max(MIN_CELL_SIZE)
    }
}

impl Writer<'_> {
    /// Starts the next page (nothing happens on an empty one), with the running title if set.
    pub fn page_break(&mut self) {
        if !self.canvas.ops.is_empty() {
            let ops = std::mem::take(&mut self.canvas.ops);
            self.pages.push(ops);
        }
        self.y = TOP;
        if let Some(title) = self.running.take() {
            self.canvas.grey(0.3);
            let regular = self.canvas.regular;
            self.line(regular, 8.0, &format!("{title} (продолжение)"));
            self.canvas.grey(0.0);
            self.y -= 1.0;
            self.running = Some(title);
        }
    }

    /// The title repeated on the pages the current part continues on (`None`: no more).
    pub fn running(&mut self, title: Option<String>) {
        self.running = title;
    }

    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.page_break();
        }
    }

    pub fn gap(&mut self, mm: f32) {
        self.y -= mm;
    }

    /// One line of text below the current position (`y` is the top of the free space).
    fn line(&mut self, font: &Font, size: f32, text: &str) {
        let em = size * 25.4 / 72.0;
        let size = fit(font, text, size, TEXT_WIDTH);
        self.canvas.text(font, size, LEFT, self.y - 0.8 * em, text);
        self.y -= 1.25 * em;
    }

    /// A bold heading with some room above; a new page if no table row would follow it there.
    pub fn heading(&mut self, size: f32, text: &str) {
        if self.y < TOP {
            self.y -= 2.0;
        }
        self.room(size * 0.5 + 4.0 * ROW);
        let bold = self.canvas.bold;
        self.line(bold, size, text);
        self.y -= 1.0;
    }

    /// A paragraph broken into lines.
    pub fn paragraph(&mut self, size: f32, text: &str) {
        let regular = self.canvas.regular;
        for line in regular.wrap(text, size, TEXT_WIDTH) {
            self.room(ROW);
            self.line(regular, size, &line);
        }
        self.y -= 1.0;
    }

    /// A heading and its table, kept on one page when they fit one.
    pub fn titled_table(&mut self, title: &str, grid: &Grid) {
        let whole = (grid.rows.len() + 1) as f32 * ROW + 10.0;
        if whole <= TOP - BOTTOM {
            self.room(whole);
        }
        self.heading(10.0, title);
        self.table(grid);
    }

    /// A ruled table: on one page if it fits one, else continued on the next pages with its
    /// head repeated.
    pub fn table(&mut self, grid: &Grid) {
        let whole = (grid.rows.len() + 1) as f32 * ROW;
        if whole <= TOP - BOTTOM {
            self.room(whole);
        } else {
            self.room(3.0 * ROW);
        }
        // The bottom of each row drawn on this page, below the first row's top.
        let mut top = self.y;
        let mut edges = Vec::new();
        self.head(grid);
        edges.push(self.y);
        for row in &grid.rows {
            let lines = self.lines(grid, row);
            let height = row_height(&lines);
            if self.y - height < BOTTOM {
                self.rules(grid, top, &edges);
                self.page_break();
                top = self.y;
                edges.clear();
                self.head(grid);
                edges.push(self.y);
            }
            self.row(lines, false);
            edges.push(self.y);
        }
        self.rules(grid, top, &edges);
        self.y -= 3.0;
    }

    fn head(&mut self, grid: &Grid) {
        let names: Vec<String> = grid.columns.iter().map(|(n, _)| n.clone()).collect();
        let lines = grid
            .columns
            .iter()
            .zip(names)
            .map(|((_, width), name)| (*width, vec![name]))
            .collect();
        self.row(lines, true);
    }

    /// Each cell of a row with its width, broken into lines where it is long (a topic, a
    /// homework); a single word too long for its cell is shrunk instead.
    fn lines(&self, grid: &Grid, cells: &[String]) -> Vec<(f32, Vec<String>)> {
        let regular = self.canvas.regular;
        grid.columns
            .iter()
            .zip(cells)
            .map(|((_, width), text)| {
                let lines = if regular.width(text, CELL_SIZE) <= width - 1.0 {
                    vec![text.clone()]
                } else {
                    regular.wrap(text, CELL_SIZE, width - 1.0)
                };
                (*width, lines)
            })
            .collect()
    }

    fn row(&mut self, cells: Vec<(f32, Vec<String>)>, bold: bool) {
        let font = if bold {
            self.canvas.bold
        } else {
            self.canvas.regular
        };
        let height = row_height(&cells);
        let mut x = LEFT;
        for (width, lines) in cells {
            for (i, text) in lines.iter().enumerate() {
                let size = fit(font, text, CELL_SIZE, width - 1.0);
                let baseline = self.y - ROW + 1.3 - i as f32 * LINE;
                self.canvas.text(font, size, x + 0.5, baseline, text);
            }
            x += width;
        }
        self.y -= height;
    }

    /// The table's lines: its frame from `top`, a rule under each row (`edges`), the columns.
    fn rules(&mut self, grid: &Grid, top: f32, edges: &[f32]) {
        let width: f32 = grid.columns.iter().map(|(_, w)| w).sum();
        let line = |x1: f32, y1: f32, x2: f32, y2: f32| Op::DrawLine {
            line: Line {
                points: vec![
                    LinePoint {
                        p: Point::new(Mm(x1), Mm(y1)),
                        bezier: false,
                    },
                    LinePoint {
                        p: Point::new(Mm(x2), Mm(y2)),
                        bezier: false,
                    },
                ],
                is_closed: false,
            },
        };
        let bottom = self.y;
        let mut ops = vec![
            Op::SaveGraphicsState,
            Op::SetOutlineColor {
                col: Color::Greyscale(Greyscale::new(0.5, None)),
            },
            Op::SetOutlineThickness { pt: Pt(0.3) },
        ];
        ops.push(line(LEFT, top, LEFT + width, top));
        for y in edges {
            ops.push(line(LEFT, *y, LEFT + width, *y));
        }
        let mut x = LEFT;
        ops.push(line(x, top, x, bottom));
        for (_, w) in &grid.columns {
            x += w;
            ops.push(line(x, top, x, bottom));
        }
        ops.push(Op::RestoreGraphicsState);
        self.canvas.ops.extend(ops);
    }

    fn finish(mut self) -> Vec<Vec<Op>> {
        self.page_break();
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        self.pages
    }
}
