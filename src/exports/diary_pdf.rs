//! The printed weekly extract of the diary (regulations §4): for each pupil a page (more if the
//! week is long) with every day's lessons, marks with work types, absences, topics and homework,
//! and a line for the parent to sign.

use chrono::NaiveDate;
use printpdf::{Mm, PdfDocument, PdfPage, PdfSaveOptions};

use super::pdf::{BOLD_TTF, Canvas, ExportError, Font, REGULAR_TTF};
use crate::diary::DiaryPupil;
use crate::diary::week::DiaryWeek;

const PAGE_WIDTH: f32 = 210.0;
const PAGE_HEIGHT: f32 = 297.0;
const LEFT: f32 = 15.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * LEFT;
const TOP: f32 = PAGE_HEIGHT - 15.0;
const BOTTOM: f32 = 25.0;
const SIZE: f32 = 9.5;
const LEADING: f32 = 4.4;
const SIGNATURE: &str = "С выпиской ознакомлен(а): ____________ / ____________   дата ________";

/// The extract of one week for each pupil, in the order given.
pub fn weekly_extract(
    school_name: &str,
    pupils: &[(&DiaryPupil, &DiaryWeek)],
    printed_on: NaiveDate,
) -> Result<Vec<u8>, ExportError> {
    if pupils.is_empty() {
        return Err(ExportError::NothingToPrint);
    }
    let mut doc = PdfDocument::new("Выписка из электронного дневника");
    let regular = Font::load(&mut doc, REGULAR_TTF)?;
    let bold = Font::load(&mut doc, BOLD_TTF)?;
    let mut pages = Vec::new();
    for (pupil, week) in pupils {
        let mut writer = Writer {
            canvas: Canvas {
                ops: Vec::new(),
                regular: &regular,
                bold: &bold,
            },
            y: TOP,
            pages: &mut pages,
        };
        writer.header(school_name, pupil, week, printed_on);
        for day in &week.days {
            writer.gap(1.5);
            let mut heading = day.heading.clone();
            if let Some(h) = &day.holiday {
                heading.push_str(&format!(" — каникулы: {h}"));
            }
            writer.line(true, SIZE + 0.5, &heading);
            for w in &day.control_works {
                writer.wrapped(false, &format!("Контрольная работа по графику: {w}"), 4.0);
            }
            if day.lessons.is_empty() && day.holiday.is_none() {
                writer.wrapped(false, "Уроков нет.", 4.0);
            }
            for l in &day.lessons {
                let mut head = format!("{}. {}", l.number, l.subject);
                if l.cancelled() {
                    head.push_str(" — урок отменён");
                } else if l.moved() {
                    head.push_str(" — урок перенесён");
                }
                let marks: Vec<String> = l
                    .marks
                    .iter()
                    .map(|m| format!("{} ({})", m.shown(), m.work_type))
                    .collect();
                if !marks.is_empty() {
                    head.push_str(&format!(" — отметки: {}", marks.join(", ")));
                }
                if l.absence.is_some() {
                    head.push_str(&format!(" — {}", l.absence_text()));
                }
                writer.wrapped(false, &head, 4.0);
                if let Some(t) = &l.topic {
                    writer.wrapped(false, &format!("Тема: {t}"), 9.0);
                }
                // Homework under the day it is due, as on the page (issue 15); where it was set,
                // «задано».
                if let Some(due) = &l.due {
                    let text = match &due.homework {
                        Some(hw) => format!("Д/з: {hw} (задано {})", due.set_on.format("%d.%m")),
                        None => "Д/з: не задано".to_string(),
                    };
                    writer.wrapped(false, &text, 9.0);
                }
                if let Some(hw) = &l.homework {
                    let due = l.due_text();
                    let label = if due.is_empty() {
                        "Задано".to_string()
                    } else {
                        format!("Задано {due}")
                    };
                    writer.wrapped(false, &format!("{label}: {hw}"), 9.0);
                }
                if let Some(c) = &l.comment {
                    writer.wrapped(false, &format!("Учитель: {c}"), 9.0);
                }
            }
            for m in &day.external {
                writer.wrapped(
                    false,
                    &format!(
                        "{}: {} ({}){}",
                        m.subject,
                        m.shown(),
                        m.work_type,
                        m.document
                            .as_deref()
                            .map(|d| format!(", {d}"))
                            .unwrap_or_default()
                    ),
                    4.0,
                );
            }
        }
        writer.gap(6.0);
        writer.line(false, SIZE + 0.5, SIGNATURE);
        writer.finish();
    }
    Ok(doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut Vec::new()))
}

/// Writes lines down a page, starting a new page when it is full.
struct Writer<'a, 'f> {
    canvas: Canvas<'f>,
    y: f32,
    pages: &'a mut Vec<PdfPage>,
}

impl Writer<'_, '_> {
    fn header(
        &mut self,
        school_name: &str,
        pupil: &DiaryPupil,
        week: &DiaryWeek,
        printed_on: NaiveDate,
    ) {
        let regular = self.canvas.regular;
        self.canvas.grey(0.3);
        self.canvas.fitted(regular, 9.0, LEFT, self.y, school_name);
        self.canvas.grey(0.0);
        self.y -= 7.0;
        self.line(true, 13.0, "Выписка из электронного дневника");
        self.y -= 1.0;
        let class = if pupil.class_name.is_empty() {
            String::new()
        } else {
            format!(", {} класс", pupil.class_name)
        };
        self.line(true, 12.0, &format!("{}{class}", pupil.full_name));
        self.line(
            false,
            10.0,
            &format!(
                "Неделя: {}. Напечатано {}.",
                week.title(),
                printed_on.format("%d.%m.%Y")
            ),
        );
    }

    fn gap(&mut self, mm: f32) {
        self.y -= mm;
    }

    fn room(&mut self) {
        if self.y < BOTTOM {
            self.flush();
            self.y = TOP;
        }
    }

    fn line(&mut self, bold: bool, size: f32, text: &str) {
        self.room();
        let font = if bold {
            self.canvas.bold
        } else {
            self.canvas.regular
        };
        self.canvas.fitted(font, size, LEFT, self.y, text);
        self.y -= LEADING + (size - SIZE).max(0.0) * 0.4;
    }

    /// A paragraph indented by `indent` mm, broken into lines.
    fn wrapped(&mut self, bold: bool, text: &str, indent: f32) {
        let font = if bold {
            self.canvas.bold
        } else {
            self.canvas.regular
        };
        for (i, line) in font
            .wrap(text, SIZE, TEXT_WIDTH - indent - 4.0)
            .into_iter()
            .enumerate()
        {
            self.room();
            let x = LEFT + indent + if i > 0 { 4.0 } else { 0.0 };
            self.canvas.fitted(font, SIZE, x, self.y, &line);
            self.y -= LEADING;
        }
    }

    fn flush(&mut self) {
        let ops = std::mem::take(&mut self.canvas.ops);
        self.pages
            .push(PdfPage::new(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), ops));
    }

    fn finish(mut self) {
        self.flush();
    }
}
