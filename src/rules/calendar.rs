//! The year's calendar (regulations §2: study periods «with their types and bounds, for every
//! level», holidays «with types and bounds», bell times): what makes it consistent.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};

/// A closed range of dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl Span {
    pub fn new(starts_on: NaiveDate, ends_on: NaiveDate) -> Self {
        Self { starts_on, ends_on }
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.starts_on <= day && day <= self.ends_on
    }

    pub fn overlaps(&self, other: &Span) -> bool {
        self.starts_on <= other.ends_on && other.starts_on <= self.ends_on
    }

    /// «01.09.2026–24.10.2026».
    pub fn show(&self) -> String {
        format!(
            "{}–{}",
            self.starts_on.format("%d.%m.%Y"),
            self.ends_on.format("%d.%m.%Y")
        )
    }
}

/// How a range of grades divides the year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodKind {
    Quarter,
    Trimester,
    HalfYear,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 3] = [
        PeriodKind::Quarter,
        PeriodKind::Trimester,
        PeriodKind::HalfYear,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Quarter => "quarter",
            PeriodKind::Trimester => "trimester",
            PeriodKind::HalfYear => "half_year",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How many periods of this kind make a year.
    pub fn count(self) -> usize {
        match self {
            PeriodKind::Quarter => 4,
            PeriodKind::Trimester => 3,
            PeriodKind::HalfYear => 2,
        }
    }

    /// «четверти».
    pub fn label(self) -> &'static str {
        match self {
            PeriodKind::Quarter => "четверти",
            PeriodKind::Trimester => "триместры",
            PeriodKind::HalfYear => "полугодия",
        }
    }

    /// «2 четверть».
    pub fn period_name(self, number: i16) -> String {
        let word = match self {
            PeriodKind::Quarter => "четверть",
            PeriodKind::Trimester => "триместр",
            PeriodKind::HalfYear => "полугодие",
        };
        format!("{number} {word}")
    }
}

/// Why a set of periods is refused, in Russian.
pub fn check_periods(year: Span, kind: PeriodKind, periods: &[Span]) -> Result<(), String> {
    if periods.len() != kind.count() {
        return Err(format!(
            "Нужно {} периода(ов): {}.",
            kind.count(),
            kind.label()
        ));
    }
    for (i, p) in periods.iter().enumerate() {
        let name = kind.period_name(i as i16 + 1);
        if p.ends_on < p.starts_on {
            return Err(format!("{name}: дата окончания раньше даты начала."));
        }
        if !year.contains(p.starts_on) || !year.contains(p.ends_on) {
            return Err(format!(
                "{name} выходит за границы учебного года {}.",
                year.show()
            ));
        }
        if let Some(prev) = i.checked_sub(1).map(|j| periods[j])
            && p.starts_on <= prev.ends_on
        {
            return Err(format!(
                "{name} начинается раньше, чем кончается {}.",
                kind.period_name(i as i16)
            ));
        }
    }
    Ok(())
}

/// Working days between consecutive periods that no holiday covers: the calendar has a hole.
pub fn uncovered_gaps(periods: &[Span], holidays: &[Span], week_days: u8) -> Vec<Span> {
    let mut gaps = Vec::new();
    for pair in periods.windows(2) {
        let mut day = pair[0].ends_on + Duration::days(1);
        let mut hole: Option<Span> = None;
        while day < pair[1].starts_on {
            let working =
                is_working_day(day, week_days) && !holidays.iter().any(|h| h.contains(day));
            if working {
                hole = Some(match hole {
                    Some(h) => Span::new(h.starts_on, day),
                    None => Span::new(day, day),
                });
            }
            day += Duration::days(1);
        }
        gaps.extend(hole);
    }
    gaps
}

/// Monday to Friday (or Saturday, in a six-day week).
pub fn is_working_day(day: NaiveDate, week_days: u8) -> bool {
    match day.weekday() {
        Weekday::Sun => false,
        Weekday::Sat => week_days >= 6,
        _ => true,
    }
}

/// Why a bell schedule is refused: each lesson ends after it starts, and lessons follow one
/// another without overlapping.
pub fn check_bells(bells: &[(i16, NaiveTime, NaiveTime)]) -> Result<(), String> {
    for (i, (n, start, end)) in bells.iter().enumerate() {
        if end <= start {
            return Err(format!("Урок {n}: конец должен быть позже начала."));
        }
        if let Some((pn, _, pend)) = i.checked_sub(1).map(|j| bells[j])
            && *start < pend
        {
            return Err(format!(
                "Урок {n} начинается раньше, чем кончается урок {pn}."
            ));
        }
    }
    Ok(())
}

/// The usual calendar of a Russian school year starting on `sept1`: quarters and half-years, and
/// the holidays between them (autumn, winter, extra February holidays of grade 1, spring,
/// summer). A starting point that the school edits.
pub struct DefaultCalendar {
    pub quarters: [Span; 4],
    pub half_years: [Span; 2],
    pub holidays: Vec<(&'static str, &'static str, Span, i16, i16)>,
}

pub fn default_calendar(sept1: NaiveDate) -> DefaultCalendar {
    let y = sept1.year();
    let d =
        |year: i32, m: u32, day: u32| NaiveDate::from_ymd_opt(year, m, day).expect("a valid date");
    let q1 = Span::new(sept1, d(y, 10, 24));
    let q2 = Span::new(d(y, 11, 5), d(y, 12, 27));
    let q3 = Span::new(d(y + 1, 1, 12), d(y + 1, 3, 21));
    let q4 = Span::new(d(y + 1, 3, 30), d(y + 1, 5, 26));
    DefaultCalendar {
        quarters: [q1, q2, q3, q4],
        half_years: [
            Span::new(q1.starts_on, q2.ends_on),
            Span::new(q3.starts_on, q4.ends_on),
        ],
        holidays: vec![
            (
                "autumn",
                "Осенние каникулы",
                Span::new(d(y, 10, 25), d(y, 11, 4)),
                1,
                11,
            ),
            (
                "winter",
                "Зимние каникулы",
                Span::new(d(y, 12, 28), d(y + 1, 1, 11)),
                1,
                11,
            ),
            (
                "extra",
                "Дополнительные каникулы",
                Span::new(d(y + 1, 2, 15), d(y + 1, 2, 22)),
                1,
                1,
            ),
            (
                "spring",
                "Весенние каникулы",
                Span::new(d(y + 1, 3, 22), d(y + 1, 3, 29)),
                1,
                11,
            ),
            (
                "summer",
                "Летние каникулы",
                Span::new(d(y + 1, 5, 27), d(y + 1, 8, 31)),
                1,
                11,
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn year() -> Span {
        Span::new(d(2026, 9, 1), d(2027, 8, 31))
    }

    #[test]
    fn the_default_calendar_is_consistent_and_has_no_holes() {
        let cal = default_calendar(d(2026, 9, 1));
        assert_eq!(
            check_periods(year(), PeriodKind::Quarter, &cal.quarters),
            Ok(())
        );
        assert_eq!(
            check_periods(year(), PeriodKind::HalfYear, &cal.half_years),
            Ok(())
        );
        let holidays: Vec<Span> = cal.holidays.iter().map(|h| h.2).collect();
        assert!(uncovered_gaps(&cal.quarters, &holidays, 5).is_empty());
    }

    #[test]
    fn periods_of_section_2_must_be_inside_the_year_in_order_and_complete() {
        let q = default_calendar(d(2026, 9, 1)).quarters;
        assert!(
            check_periods(year(), PeriodKind::Quarter, &q[..3])
                .unwrap_err()
                .contains("Нужно 4")
        );
        let mut overlapping = q;
        overlapping[1].starts_on = d(2026, 10, 20);
        assert!(
            check_periods(year(), PeriodKind::Quarter, &overlapping)
                .unwrap_err()
                .contains("2 четверть начинается раньше")
        );
        let mut outside = q;
        outside[0].starts_on = d(2026, 8, 25);
        assert!(
            check_periods(year(), PeriodKind::Quarter, &outside)
                .unwrap_err()
                .contains("выходит за границы")
        );
        let mut reversed = q;
        reversed[3] = Span::new(d(2027, 5, 26), d(2027, 3, 30));
        assert!(
            check_periods(year(), PeriodKind::Quarter, &reversed)
                .unwrap_err()
                .contains("раньше даты начала")
        );
    }

    #[test]
    fn a_gap_between_periods_not_covered_by_holidays_is_found_weekends_aside() {
        let periods = [
            Span::new(d(2026, 9, 1), d(2026, 10, 23)),
            Span::new(d(2026, 11, 9), d(2026, 12, 25)),
        ];
        // Holidays cover only the first week of the gap.
        let holidays = [Span::new(d(2026, 10, 24), d(2026, 11, 1))];
        let gaps = uncovered_gaps(&periods, &holidays, 5);
        assert_eq!(gaps, vec![Span::new(d(2026, 11, 2), d(2026, 11, 6))]);
        // With the whole gap covered there is none.
        let covered = [Span::new(d(2026, 10, 24), d(2026, 11, 8))];
        assert!(uncovered_gaps(&periods, &covered, 5).is_empty());
    }

    #[test]
    fn bells_must_follow_one_another() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(
            check_bells(&[(1, t(8, 30), t(9, 15)), (2, t(9, 25), t(10, 10))]),
            Ok(())
        );
        assert!(
            check_bells(&[(1, t(8, 30), t(9, 15)), (2, t(9, 10), t(9, 55))])
                .unwrap_err()
                .contains("Урок 2 начинается раньше")
        );
        assert!(
            check_bells(&[(1, t(9, 30), t(9, 15))])
                .unwrap_err()
                .contains("конец должен быть позже")
        );
    }
}
