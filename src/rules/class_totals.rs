//! A class's totals of a period (§5; the class teacher's report, the summary sheet): успеваемость,
//! качество знаний and средний балл from each pupil's period marks (or their forecasts).
//!
//! - A pupil counts if they have at least one mark other than ОСВ; ОСВ (exempt) is left out of
//!   both the numerator and the denominator for that subject, so a pupil with only ОСВ (or no
//!   marks) is not counted at all.
//! - Progressing (успевает): every counted mark is «5», «4», «3» or «зачёт»; a «2», «незачёт» or
//!   Н/А (not attested) makes the pupil not progressing.
//! - Quality (качество): progressing with only «4» and «5» (a «зачёт» does not spoil it) and at
//!   least one of them.
//! - Средний балл: the mean of all «5»–«2» marks counted (Н/А, ОСВ, зачёт, незачёт are not
//!   points).
//!
//! Values are the stored period-mark codes: `5`, `4`, `3`, `2`, `na`, `exempt`, `pass`, `fail`.

/// What one pupil's period marks make of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PupilStanding {
    /// Has at least one mark other than ОСВ.
    pub counted: bool,
    pub progressing: bool,
    pub quality: bool,
    /// Sum and number of the «5»–«2» marks, for the averages.
    pub points: u32,
    pub numeric: u32,
}

impl PupilStanding {
    pub fn of<'a>(values: impl IntoIterator<Item = &'a str>) -> PupilStanding {
        let mut s = PupilStanding {
            progressing: true,
            quality: true,
            ..PupilStanding::default()
        };
        let mut any_high = false;
        for v in values {
            match v {
                "exempt" | "" => continue,
                "5" | "4" => {
                    any_high = true;
                    s.points += v.parse::<u32>().unwrap_or(0);
                    s.numeric += 1;
                }
                "3" => {
                    s.quality = false;
                    s.points += 3;
                    s.numeric += 1;
                }
                "2" => {
                    s.progressing = false;
                    s.points += 2;
                    s.numeric += 1;
                }
                "pass" => {}
                // "fail", "na" and anything unknown: not progressing.
                _ => s.progressing = false,
            }
            s.counted = true;
        }
        if !s.counted {
            return PupilStanding::default();
        }
        s.quality = s.quality && s.progressing && any_high;
        s
    }

    /// The pupil's own средний балл, if they have «5»–«2» marks.
    pub fn average(&self) -> Option<f64> {
        (self.numeric > 0).then(|| round2(f64::from(self.points) / f64::from(self.numeric)))
    }
}

/// The class's figures over its pupils' standings.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    /// Pupils with marks (the denominator).
    pub pupils: u32,
    pub progressing: u32,
    pub quality: u32,
    /// Percentages rounded to one decimal; `None` with no pupil counted.
    pub progress_percent: Option<f64>,
    pub quality_percent: Option<f64>,
    /// Rounded to two decimals.
    pub average: Option<f64>,
}

impl Totals {
    pub fn of<'a>(standings: impl IntoIterator<Item = &'a PupilStanding>) -> Totals {
        let (mut t, mut points, mut numeric) = (Totals::default(), 0u32, 0u32);
        for s in standings.into_iter().filter(|s| s.counted) {
            t.pupils += 1;
            t.progressing += u32::from(s.progressing);
            t.quality += u32::from(s.quality);
            points += s.points;
            numeric += s.numeric;
        }
        if t.pupils > 0 {
            let pct = |n: u32| round1(f64::from(n) * 100.0 / f64::from(t.pupils));
            t.progress_percent = Some(pct(t.progressing));
            t.quality_percent = Some(pct(t.quality));
        }
        if numeric > 0 {
            t.average = Some(round2(f64::from(points) / f64::from(numeric)));
        }
        t
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A figure as the pages show it: «85,7», «—» for none.
pub fn show(x: Option<f64>) -> String {
    x.map_or("—".into(), crate::exports::table::number_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(values: &[&str]) -> PupilStanding {
        PupilStanding::of(values.iter().copied())
    }

    #[test]
    fn one_two_or_one_not_attested_makes_a_pupil_not_progressing() {
        assert!(!s(&["5", "2"]).progressing);
        assert!(!s(&["5", "na"]).progressing);
        assert!(!s(&["5", "fail"]).progressing);
        assert!(s(&["3", "pass"]).progressing);
        assert!(s(&["5", "2"]).counted);
    }

    #[test]
    fn quality_is_only_fours_and_fives_and_a_pass_does_not_spoil_it() {
        assert!(s(&["5", "4", "pass"]).quality);
        assert!(!s(&["5", "3"]).quality);
        assert!(!s(&["5", "na"]).quality);
        assert!(!s(&["pass"]).quality, "no 4 or 5 at all");
        assert!(s(&["pass"]).progressing);
    }

    #[test]
    fn exempt_is_left_out_and_a_pupil_with_only_exempt_is_not_counted() {
        assert_eq!(s(&["exempt", "exempt"]), PupilStanding::default());
        assert_eq!(s(&[]), PupilStanding::default());
        let with = s(&["exempt", "5"]);
        assert!(with.counted && with.quality);
        assert_eq!(with.average(), Some(5.0));
    }

    #[test]
    fn totals_count_pupils_with_marks_and_round_as_the_page_shows() {
        let standings = [
            s(&["5", "4"]),       // quality
            s(&["5", "3"]),       // progressing
            s(&["2", "na", "4"]), // neither
            s(&["exempt"]),       // not counted
        ];
        let t = Totals::of(&standings);
        assert_eq!((t.pupils, t.progressing, t.quality), (3, 2, 1));
        assert_eq!(t.progress_percent, Some(66.7));
        assert_eq!(t.quality_percent, Some(33.3));
        // (5 + 4 + 5 + 3 + 2 + 4) / 6 = 3.8333…
        assert_eq!(t.average, Some(3.83));
        assert_eq!(show(t.progress_percent), "66,7");
        assert_eq!(show(Totals::of(&[]).average), "—");
    }
}
