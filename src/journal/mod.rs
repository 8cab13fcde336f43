//! The teacher's journal (regulations §3): the grid of a group's lessons and pupils, what a cell
//! holds, and the writes to it. Decisions come from `rules::journal`; this module loads the facts
//! they need, writes, and records every change in the audit trail in the same transaction.

pub mod accumulation;
pub mod attention;
pub mod control;
pub mod grid;
pub mod kept;
pub mod outage;
pub mod paper;
pub mod period;
pub mod repo;
pub mod service;
pub mod substitutes;
pub mod teacher_absence;
pub mod today;
pub mod together;

use crate::rules::grading::Scale;

/// A current mark's value (five-point, or pass/fail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkValue {
    Five,
    Four,
    Three,
    Two,
    Pass,
    Fail,
}

impl MarkValue {
    pub const ALL: [MarkValue; 6] = [
        MarkValue::Five,
        MarkValue::Four,
        MarkValue::Three,
        MarkValue::Two,
        MarkValue::Pass,
        MarkValue::Fail,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MarkValue::Five => "5",
            MarkValue::Four => "4",
            MarkValue::Three => "3",
            MarkValue::Two => "2",
            MarkValue::Pass => "pass",
            MarkValue::Fail => "fail",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// As the grid shows it: «5», «зач», «нз».
    pub fn show(self) -> &'static str {
        match self {
            MarkValue::Pass => "зач",
            MarkValue::Fail => "нз",
            other => other.as_str(),
        }
    }

    /// The number for the average (pass/fail: none).
    pub fn points(self) -> Option<i64> {
        match self {
            MarkValue::Five => Some(5),
            MarkValue::Four => Some(4),
            MarkValue::Three => Some(3),
            MarkValue::Two => Some(2),
            MarkValue::Pass | MarkValue::Fail => None,
        }
    }

    fn fits(self, scale: Scale) -> bool {
        match scale {
            Scale::FivePoint => self.points().is_some(),
            Scale::PassFail => self.points().is_none(),
            Scale::NoMarks => false,
        }
    }
}

/// What a journal cell holds: «н» (absent, J9) and/or a mark — both when a pupil who missed the
/// lesson later passed its topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Cell {
    pub absent: bool,
    pub mark: Option<MarkValue>,
}

impl Cell {
    /// As the grid shows it and as a teacher types it: «», «5», «н», «н5», «зач».
    pub fn text(&self) -> String {
        let mut s = String::new();
        if self.absent {
            s.push('н');
        }
        if let Some(m) = self.mark {
            s.push_str(m.show());
        }
        s
    }

    /// Reads what a teacher typed into a cell of a subject graded on `scale`. Accepts the
    /// keyboard's other layout («y» for «н»), upper case, spaces and «/».
    pub fn parse(input: &str, scale: Scale) -> Result<Cell, String> {
        let typed: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '/' && *c != ',')
            .flat_map(char::to_lowercase)
            .map(|c| match c {
                'y' => 'н',
                'n' => 'н',
                'p' => 'з',
                other => other,
            })
            .collect();
        let (absent, rest) = if let Some(rest) = typed
            .strip_prefix('н')
            .filter(|r| !(r.starts_with('з') || r.starts_with("еза")))
        {
            (true, rest.to_string())
        } else if let Some(rest) = typed
            .strip_suffix('н')
            .filter(|r| r.chars().all(|c| c.is_ascii_digit()))
        {
            (true, rest.to_string())
        } else {
            (false, typed.clone())
        };
        let mark = match rest.as_str() {
            "" => None,
            "5" => Some(MarkValue::Five),
            "4" => Some(MarkValue::Four),
            "3" => Some(MarkValue::Three),
            "2" => Some(MarkValue::Two),
            "з" | "зач" | "зачёт" | "зачет" | "+" => Some(MarkValue::Pass),
            "нз" | "незач" | "незачёт" | "незачет" | "-" => {
                Some(MarkValue::Fail)
            }
            _ => {
                return Err(format!(
                    "«{}» — не отметка. Допустимо: {}, «н» — отсутствовал, или пустая клетка.",
                    input.trim(),
                    scale_hint(scale)
                ));
            }
        };
        if let Some(m) = mark
            && !m.fits(scale)
        {
            return Err(match scale {
                Scale::NoMarks => {
                    "По этому предмету в этом классе отметки не ставятся (в 1 классе — ни по одному предмету); можно отметить только «н»."
                        .to_string()
                }
                _ => format!("По этому предмету ставится {}.", scale_hint(scale)),
            });
        }
        Ok(Cell { absent, mark })
    }
}

/// What a scale takes, for messages.
pub fn scale_hint(scale: Scale) -> &'static str {
    match scale {
        Scale::FivePoint => "отметка 5, 4, 3 или 2",
        Scale::PassFail => "«з» (зачёт) или «нз» (незачёт)",
        Scale::NoMarks => "без отметок",
    }
}

/// The reason of an absence, set by the class teacher (J9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbsenceReason {
    Excused,
    Unexcused,
    Ill,
}

impl AbsenceReason {
    pub const ALL: [AbsenceReason; 3] = [
        AbsenceReason::Excused,
        AbsenceReason::Unexcused,
        AbsenceReason::Ill,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AbsenceReason::Excused => "excused",
            AbsenceReason::Unexcused => "unexcused",
            AbsenceReason::Ill => "ill",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// «УП», «НП», «Б».
    pub fn short(self) -> &'static str {
        match self {
            AbsenceReason::Excused => "УП",
            AbsenceReason::Unexcused => "НП",
            AbsenceReason::Ill => "Б",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AbsenceReason::Excused => "уважительная причина",
            AbsenceReason::Unexcused => "неуважительная причина",
            AbsenceReason::Ill => "болезнь",
        }
    }
}

/// A period mark's value (J12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodMarkValue {
    Five,
    Four,
    Three,
    Two,
    NotAttested,
    Exempt,
    Pass,
    Fail,
}

impl PeriodMarkValue {
    pub const ALL: [PeriodMarkValue; 8] = [
        PeriodMarkValue::Five,
        PeriodMarkValue::Four,
        PeriodMarkValue::Three,
        PeriodMarkValue::Two,
        PeriodMarkValue::NotAttested,
        PeriodMarkValue::Exempt,
        PeriodMarkValue::Pass,
        PeriodMarkValue::Fail,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodMarkValue::Five => "5",
            PeriodMarkValue::Four => "4",
            PeriodMarkValue::Three => "3",
            PeriodMarkValue::Two => "2",
            PeriodMarkValue::NotAttested => "na",
            PeriodMarkValue::Exempt => "exempt",
            PeriodMarkValue::Pass => "pass",
            PeriodMarkValue::Fail => "fail",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// «5», «н/а», «осв», «зач», «незач».
    pub fn show(self) -> &'static str {
        match self {
            PeriodMarkValue::NotAttested => "н/а",
            PeriodMarkValue::Exempt => "осв",
            PeriodMarkValue::Pass => "зач",
            PeriodMarkValue::Fail => "незач",
            other => other.as_str(),
        }
    }

    /// The values a subject on `scale` takes.
    pub fn for_scale(scale: Scale) -> Vec<PeriodMarkValue> {
        let tail = [PeriodMarkValue::NotAttested, PeriodMarkValue::Exempt];
        let head: &[PeriodMarkValue] = match scale {
            Scale::FivePoint => &[
                PeriodMarkValue::Five,
                PeriodMarkValue::Four,
                PeriodMarkValue::Three,
                PeriodMarkValue::Two,
            ],
            Scale::PassFail => &[PeriodMarkValue::Pass, PeriodMarkValue::Fail],
            Scale::NoMarks => &[],
        };
        head.iter().copied().chain(tail).collect()
    }
}

/// Shows a stored period-mark value («na» → «н/а»).
pub fn show_period_value(value: &str) -> &'static str {
    PeriodMarkValue::parse(value).map_or("", PeriodMarkValue::show)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(input: &str) -> Result<Cell, String> {
        Cell::parse(input, Scale::FivePoint)
    }

    #[test]
    fn a_cell_takes_marks_absence_or_both() {
        assert_eq!(cell("5").unwrap().mark, Some(MarkValue::Five));
        assert_eq!(
            cell(" Н ").unwrap(),
            Cell {
                absent: true,
                mark: None
            }
        );
        assert_eq!(cell("y").unwrap().text(), "н");
        assert_eq!(
            cell("н4").unwrap(),
            Cell {
                absent: true,
                mark: Some(MarkValue::Four)
            }
        );
        assert_eq!(cell("4н").unwrap().text(), "н4");
        assert_eq!(cell("").unwrap(), Cell::default());
        assert!(cell("6").unwrap_err().contains("не отметка"));
        assert!(cell("зач").unwrap_err().contains("5, 4, 3 или 2"));
    }

    #[test]
    fn pass_fail_cells_take_zach_and_nz() {
        let pf = |s| Cell::parse(s, Scale::PassFail);
        assert_eq!(pf("з").unwrap().mark, Some(MarkValue::Pass));
        assert_eq!(
            pf("нз").unwrap(),
            Cell {
                absent: false,
                mark: Some(MarkValue::Fail)
            }
        );
        assert_eq!(pf("незачёт").unwrap().mark, Some(MarkValue::Fail));
        assert!(pf("н").unwrap().absent);
        assert!(pf("5").is_err());
    }

    #[test]
    fn j10_a_no_marks_cell_takes_only_absence() {
        let nm = |s| Cell::parse(s, Scale::NoMarks);
        assert!(nm("н").unwrap().absent);
        assert!(
            nm("5")
                .unwrap_err()
                .contains("в 1 классе — ни по одному предмету")
        );
    }
}
