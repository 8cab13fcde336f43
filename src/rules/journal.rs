//! The journal's rules (regulations §3, J1–J17): who may write what and until when, which entries
//! are late, the period-mark window and suggestion, and the accumulation of marks. Every refusal
//! names its clause and is shown to the user as it is.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::calendar::Span;

/// The school's settings these rules read (school table; per school).
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// J1: after this many days the lesson is locked.
    pub entry_lock_days: i64,
    /// J2: current marks are due by this local time of the lesson day (None: end of day).
    pub mark_cutoff: Option<NaiveTime>,
    /// J7: homework may be written until this long after the class's last lesson of the day.
    pub homework_window_minutes: i64,
    /// J12: period marks may be set until this many days after the period ends.
    pub period_mark_grace_days: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            entry_lock_days: 7,
            mark_cutoff: None,
            homework_window_minutes: 120,
            period_mark_grace_days: 2,
        }
    }
}

/// A rule's «no», with the clause it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub clause: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(clause: &'static str, message: impl Into<String>) -> Self {
        Self {
            clause,
            message: message.into(),
        }
    }

    /// The message with its clause: «Урок закрыт… (J1)».
    pub fn text(&self) -> String {
        format!("{} ({})", self.message, self.clause)
    }
}

/// How the writer stands to the lesson's group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    /// Teaches the group (teaching load).
    GroupTeacher,
    /// Registered by a deputy as the substitute at this lesson (J15).
    Substitute,
    /// The class teacher of the pupils' class, not teaching the group.
    ClassTeacher,
    /// Anybody else (a deputy reads journals; pupils and parents only read their diary).
    Other,
}

/// What is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A current mark of a work type checked within `checking_days` (0: marks on the day).
    Mark { checking_days: i64 },
    /// «Н» (J9).
    Absence,
    /// The reason of an absence: УП, НП, Б (J9).
    AbsenceReason,
    /// The lesson's topic, a mark column's work type, the teacher's comment.
    Topic,
    /// Homework (J7).
    Homework,
}

/// When the lesson is, in the school's local time.
#[derive(Clone, Copy, Debug)]
pub struct LessonTime {
    pub date: NaiveDate,
    /// Bell time of the lesson (None when the bells are not set: the day's start).
    pub starts_at: Option<NaiveTime>,
    /// End of the class's last lesson that day (None: end of the day's bells unknown).
    pub class_day_ends_at: Option<NaiveTime>,
}

/// Whether an allowed entry is on time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    OnTime,
    /// J1: recorded after its time, within the limits; flagged in the journal.
    Late,
}

/// The state of the journal the lesson belongs to.
#[derive(Clone, Copy, Debug, Default)]
pub struct JournalState {
    /// A deputy's unlock of this lesson or of the whole journal is in force.
    pub unlocked: bool,
    /// Period marks of the lesson's period are set for the group (J13).
    pub period_closed: bool,
    /// The academic year is closed.
    pub year_closed: bool,
}

/// May `writer` make `entry` at a lesson at `now` (local time), and is it on time?
pub fn may_write(
    writer: Writer,
    entry: Entry,
    lesson: &LessonTime,
    now: NaiveDateTime,
    state: JournalState,
    settings: &Settings,
) -> Result<Timing, Refusal> {
    if state.year_closed {
        return Err(Refusal::new(
            "§6",
            "Учебный год закрыт: журнал доступен только для чтения.",
        ));
    }
    match (entry, writer) {
        (Entry::AbsenceReason, Writer::ClassTeacher) => return Ok(Timing::OnTime),
        (Entry::AbsenceReason, _) => {
            return Err(Refusal::new(
                "J9",
                "Причину пропуска (УП, НП, Б) указывает классный руководитель.",
            ));
        }
        (_, Writer::GroupTeacher | Writer::Substitute) => {}
        (_, Writer::ClassTeacher) => {
            return Err(Refusal::new(
                "J9",
                "Классный руководитель видит журнал по всем предметам класса, а записывает только причины пропусков.",
            ));
        }
        (_, Writer::Other) => {
            return Err(Refusal::new(
                "J15",
                "Записи в журнал делает учитель группы или замещающий его на этом уроке учитель.",
            ));
        }
    }
    if state.period_closed && !state.unlocked {
        return Err(Refusal::new(
            "J13",
            "Итоговые отметки за период выставлены: журнал этого периода закрыт для учителя. Изменить запись можно после разблокировки заместителем директора.",
        ));
    }
    let starts = lesson
        .date
        .and_time(lesson.starts_at.unwrap_or(NaiveTime::MIN));
    let days_after = (now.date() - lesson.date).num_days();
    match entry {
        Entry::Mark { .. } | Entry::Absence if now < starts => {
            return Err(Refusal::new(
                "J3",
                format!(
                    "Урок {} ещё не начался: отметки и пропуски ставятся в день урока, не заранее и не другим числом.",
                    lesson.date.format("%d.%m.%Y")
                ),
            ));
        }
        _ => {}
    }
    let lock_days = match entry {
        Entry::Mark { checking_days } => settings.entry_lock_days.max(checking_days),
        _ => settings.entry_lock_days,
    };
    if days_after > lock_days && !state.unlocked {
        return Err(Refusal::new(
            "J1",
            format!(
                "Урок {} закрыт: записи вносятся не позднее {} дн. после урока. Открыть урок может заместитель директора.",
                lesson.date.format("%d.%m.%Y"),
                lock_days
            ),
        ));
    }
    match entry {
        Entry::Homework => {
            let day_end = lesson.class_day_ends_at.unwrap_or(NaiveTime::MIN);
            let deadline =
                lesson.date.and_time(day_end) + Duration::minutes(settings.homework_window_minutes);
            let deadline = if lesson.class_day_ends_at.is_some() {
                deadline
            } else {
                lesson.date.and_hms_opt(23, 59, 59).unwrap_or(deadline)
            };
            if now > deadline && !state.unlocked {
                return Err(Refusal::new(
                    "J7",
                    format!(
                        "Домашнее задание записывается на уроке или не позднее {} после последнего урока класса — до {}.",
                        minutes_text(settings.homework_window_minutes),
                        deadline.format("%H:%M %d.%m.%Y")
                    ),
                ));
            }
            Ok(Timing::OnTime)
        }
        Entry::Mark { checking_days } if checking_days > 0 => Ok(if days_after <= checking_days {
            Timing::OnTime
        } else {
            Timing::Late
        }),
        Entry::Mark { .. } => {
            let on_day = days_after <= 0;
            let before_cutoff = settings.mark_cutoff.is_none_or(|c| now.time() <= c);
            Ok(if on_day && before_cutoff {
                Timing::OnTime
            } else {
                Timing::Late
            })
        }
        Entry::Absence | Entry::Topic | Entry::AbsenceReason => Ok(if days_after <= 0 {
            Timing::OnTime
        } else {
            Timing::Late
        }),
    }
}

/// «2 ч», «1 ч 30 мин», «45 мин».
pub fn minutes_text(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} мин"),
        (h, 0) => format!("{h} ч"),
        (h, m) => format!("{h} ч {m} мин"),
    }
}

/// J12: period marks are set from the start of the period's last week to `grace` days after it.
pub fn period_mark_window(period: Span, settings: &Settings) -> Span {
    Span::new(
        period.ends_on - Duration::days(6),
        period.ends_on + Duration::days(settings.period_mark_grace_days),
    )
}

/// May the teacher set a period mark today (J12)? A deputy's unlock opens it outside the window.
pub fn may_set_period_mark(
    period: Span,
    today: NaiveDate,
    unlocked: bool,
    settings: &Settings,
) -> Result<(), Refusal> {
    let window = period_mark_window(period, settings);
    if window.contains(today) || unlocked {
        Ok(())
    } else {
        Err(Refusal::new(
            "J12",
            format!(
                "Итоговые отметки за период выставляются в последнюю неделю периода и не позднее {} дн. после его окончания: с {} по {}.",
                settings.period_mark_grace_days,
                window.starts_on.format("%d.%m.%Y"),
                window.ends_on.format("%d.%m.%Y")
            ),
        ))
    }
}

/// A current mark for the average: its value (2–5) and its work type's weight in tenths.
#[derive(Clone, Copy, Debug)]
pub struct Weighted {
    pub value: i64,
    pub weight_tenths: i64,
}

/// The weighted average of five-point marks, or None without marks.
pub fn weighted_average(marks: &[Weighted]) -> Option<f64> {
    let weights: i64 = marks.iter().map(|m| m.weight_tenths).sum();
    if weights == 0 {
        return None;
    }
    let sum: i64 = marks.iter().map(|m| m.value * m.weight_tenths).sum();
    Some(sum as f64 / weights as f64)
}

/// J12: the average rounded half up (2.5 → 3, 3.5 → 4, 4.5 → 5), computed exactly in integers so
/// that 2.4999… never becomes 3.
pub fn rounded_average(marks: &[Weighted]) -> Option<i64> {
    let weights: i64 = marks.iter().map(|m| m.weight_tenths).sum();
    if weights == 0 {
        return None;
    }
    let sum: i64 = marks.iter().map(|m| m.value * m.weight_tenths).sum();
    // floor(sum / weights + 1/2) = floor((2·sum + weights) / (2·weights)).
    Some((2 * sum + weights).div_euclid(2 * weights))
}

/// What the period-mark column proposes for a pupil.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suggestion {
    /// A five-point mark.
    Mark(i64),
    Pass,
    Fail,
    /// Н/А: fewer marks than accumulation requires (J11, J12).
    NotAttested,
}

impl Suggestion {
    /// The period_mark value it proposes.
    pub fn value(self) -> &'static str {
        match self {
            Suggestion::Mark(5) => "5",
            Suggestion::Mark(4) => "4",
            Suggestion::Mark(3) => "3",
            Suggestion::Mark(_) => "2",
            Suggestion::Pass => "pass",
            Suggestion::Fail => "fail",
            Suggestion::NotAttested => "na",
        }
    }
}

/// J12 + J11: the suggested period mark from the period's current marks — Н/А with fewer than
/// `min_marks`; pass/fail subjects pass when at least half of the marks are «зачёт».
pub fn suggest(
    five_point: &[Weighted],
    passes: usize,
    fails: usize,
    min_marks: usize,
) -> Suggestion {
    let count = five_point.len() + passes + fails;
    if count < min_marks || count == 0 {
        return Suggestion::NotAttested;
    }
    if passes + fails > five_point.len() {
        return if passes >= fails {
            Suggestion::Pass
        } else {
            Suggestion::Fail
        };
    }
    match rounded_average(five_point) {
        Some(m) => Suggestion::Mark(m.clamp(2, 5)),
        None => Suggestion::NotAttested,
    }
}

/// J11 settings (school table).
#[derive(Clone, Copy, Debug)]
pub struct AccumulationRule {
    pub min_marks_one_hour: i64,
    pub min_marks_more_hours: i64,
    pub grace_weeks: i64,
    pub grace_weeks_one_hour: i64,
}

impl Default for AccumulationRule {
    fn default() -> Self {
        Self {
            min_marks_one_hour: 3,
            min_marks_more_hours: 5,
            grace_weeks: 2,
            grace_weeks_one_hour: 3,
        }
    }
}

impl AccumulationRule {
    /// Marks a period mark needs (J11: 3 for a 1-hour subject, 5 for 2+ hours).
    pub fn min_marks(&self, hours_per_week: i64) -> i64 {
        if hours_per_week <= 1 {
            self.min_marks_one_hour
        } else {
            self.min_marks_more_hours
        }
    }

    /// Marks a pupil should have `weeks` full weeks into the period: none during the first weeks
    /// (2, or 3 for a 1-hour subject), then one more each week — more a week for subjects of more
    /// than 2 hours — up to what the period mark needs.
    pub fn required_by(&self, hours_per_week: i64, weeks: i64) -> i64 {
        let grace = if hours_per_week <= 1 {
            self.grace_weeks_one_hour
        } else {
            self.grace_weeks
        };
        let per_week = if hours_per_week <= 2 {
            1
        } else {
            (hours_per_week + 1) / 2
        };
        ((weeks - grace).max(0) * per_week).min(self.min_marks(hours_per_week))
    }
}

/// A held lesson of the period as one pupil lived it, in date order.
#[derive(Clone, Copy, Debug)]
pub struct Attended {
    pub present: bool,
    pub marked: bool,
    /// One of the first two lessons after holidays (or of the period).
    pub after_holidays: bool,
}

/// Why a pupil lacks marks (J11).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    pub required: i64,
    pub has: i64,
    /// Lessons attended in a row without a mark, at the end.
    pub unmarked_in_row: i64,
}

impl Gap {
    /// «отметок 1 из 2; 3 урока подряд без отметки».
    pub fn text(&self) -> String {
        let mut parts = Vec::new();
        if self.has < self.required {
            parts.push(format!("отметок {} из {}", self.has, self.required));
        }
        if self.unmarked_in_row >= UNMARKED_IN_ROW {
            parts.push(format!(
                "уроков подряд без отметки: {}",
                self.unmarked_in_row
            ));
        }
        parts.join("; ")
    }
}

/// J11: «a pupil who attended 2+ lessons in a row must get a mark».
pub const UNMARKED_IN_ROW: i64 = 2;

/// J11: does a pupil lack marks `weeks` full weeks into the period? Pupils who did not attend are
/// not counted: the requirement never exceeds the lessons the pupil attended; the first two
/// lessons after holidays do not count towards a run without marks.
pub fn accumulation_gap(
    rule: &AccumulationRule,
    hours_per_week: i64,
    weeks: i64,
    lessons: &[Attended],
) -> Option<Gap> {
    let attended = lessons.iter().filter(|l| l.present).count() as i64;
    let has = lessons.iter().filter(|l| l.marked).count() as i64;
    let required = rule.required_by(hours_per_week, weeks).min(attended);
    let mut unmarked_in_row = 0;
    for lesson in lessons.iter().rev() {
        if lesson.marked || !lesson.present {
            break;
        }
        if !lesson.after_holidays {
            unmarked_in_row += 1;
        }
    }
    let gap = Gap {
        required,
        has,
        unmarked_in_row,
    };
    (has < required || unmarked_in_row >= UNMARKED_IN_ROW).then_some(gap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn at(m: u32, day: u32, h: u32, min: u32) -> NaiveDateTime {
        d(m, day).and_hms_opt(h, min, 0).unwrap()
    }

    fn lesson(m: u32, day: u32) -> LessonTime {
        LessonTime {
            date: d(m, day),
            starts_at: NaiveTime::from_hms_opt(9, 0, 0),
            class_day_ends_at: NaiveTime::from_hms_opt(14, 0, 0),
        }
    }

    const MARK: Entry = Entry::Mark { checking_days: 0 };

    fn write(entry: Entry, now: NaiveDateTime, settings: &Settings) -> Result<Timing, Refusal> {
        may_write(
            Writer::GroupTeacher,
            entry,
            &lesson(10, 5),
            now,
            JournalState::default(),
            settings,
        )
    }

    #[test]
    fn j1_entries_on_the_day_are_on_time_later_ones_late_and_after_7_days_locked() {
        let s = Settings::default();
        assert_eq!(write(MARK, at(10, 5, 9, 30), &s), Ok(Timing::OnTime));
        assert_eq!(
            write(Entry::Absence, at(10, 5, 23, 59), &s),
            Ok(Timing::OnTime)
        );
        assert_eq!(write(MARK, at(10, 6, 8, 0), &s), Ok(Timing::Late));
        assert_eq!(write(Entry::Topic, at(10, 12, 23, 0), &s), Ok(Timing::Late));
        let locked = write(MARK, at(10, 13, 0, 1), &s).unwrap_err();
        assert_eq!(locked.clause, "J1");
        assert!(locked.message.contains("05.10.2026 закрыт"));
    }

    #[test]
    fn j1_a_deputys_unlock_opens_a_locked_lesson_and_the_entry_stays_late() {
        let state = JournalState {
            unlocked: true,
            ..JournalState::default()
        };
        let r = may_write(
            Writer::GroupTeacher,
            MARK,
            &lesson(10, 5),
            at(10, 30, 10, 0),
            state,
            &Settings::default(),
        );
        assert_eq!(r, Ok(Timing::Late));
    }

    #[test]
    fn j2_the_schools_cut_off_makes_a_mark_after_it_late() {
        let s = Settings {
            mark_cutoff: NaiveTime::from_hms_opt(16, 0, 0),
            ..Settings::default()
        };
        assert_eq!(write(MARK, at(10, 5, 16, 0), &s), Ok(Timing::OnTime));
        assert_eq!(write(MARK, at(10, 5, 16, 1), &s), Ok(Timing::Late));
        // Absences are not current marks: the cut-off does not apply.
        assert_eq!(
            write(Entry::Absence, at(10, 5, 17, 0), &s),
            Ok(Timing::OnTime)
        );
    }

    #[test]
    fn j3_no_mark_or_absence_before_the_lesson_but_topic_and_homework_may_be_planned() {
        let s = Settings::default();
        assert_eq!(write(MARK, at(10, 5, 8, 59), &s).unwrap_err().clause, "J3");
        assert_eq!(
            write(Entry::Absence, at(10, 4, 12, 0), &s)
                .unwrap_err()
                .clause,
            "J3"
        );
        assert_eq!(
            write(Entry::Topic, at(10, 1, 12, 0), &s),
            Ok(Timing::OnTime)
        );
        assert_eq!(
            write(Entry::Homework, at(10, 1, 12, 0), &s),
            Ok(Timing::OnTime)
        );
    }

    #[test]
    fn j4_written_work_is_on_time_within_its_checking_period() {
        let s = Settings::default();
        let control = Entry::Mark { checking_days: 3 };
        assert_eq!(write(control, at(10, 8, 20, 0), &s), Ok(Timing::OnTime));
        assert_eq!(write(control, at(10, 9, 8, 0), &s), Ok(Timing::Late));
        let essay = Entry::Mark { checking_days: 10 };
        // A checking period longer than the lock keeps the lesson open for that work.
        assert_eq!(write(essay, at(10, 15, 8, 0), &s), Ok(Timing::OnTime));
        assert_eq!(write(essay, at(10, 16, 8, 0), &s).unwrap_err().clause, "J1");
    }

    #[test]
    fn j7_homework_is_written_within_the_window_after_the_classs_last_lesson() {
        let s = Settings::default();
        assert_eq!(
            write(Entry::Homework, at(10, 5, 16, 0), &s),
            Ok(Timing::OnTime)
        );
        let late = write(Entry::Homework, at(10, 5, 16, 1), &s).unwrap_err();
        assert_eq!(late.clause, "J7");
        assert!(late.message.contains("2 ч"), "{}", late.message);
        let s90 = Settings {
            homework_window_minutes: 90,
            ..s
        };
        assert!(write(Entry::Homework, at(10, 5, 15, 31), &s90).is_err());
        assert!(minutes_text(90) == "1 ч 30 мин");
    }

    #[test]
    fn j9_j15_only_the_groups_teacher_or_the_substitute_writes_the_class_teacher_sets_reasons() {
        let s = Settings::default();
        let now = at(10, 5, 10, 0);
        let l = lesson(10, 5);
        let st = JournalState::default();
        for writer in [Writer::GroupTeacher, Writer::Substitute] {
            assert!(may_write(writer, MARK, &l, now, st, &s).is_ok());
            assert!(may_write(writer, Entry::AbsenceReason, &l, now, st, &s).is_err());
        }
        let ct = may_write(Writer::ClassTeacher, MARK, &l, now, st, &s).unwrap_err();
        assert_eq!(ct.clause, "J9");
        assert!(may_write(Writer::ClassTeacher, Entry::AbsenceReason, &l, now, st, &s).is_ok());
        assert_eq!(
            may_write(Writer::Other, Entry::Topic, &l, now, st, &s)
                .unwrap_err()
                .clause,
            "J15"
        );
    }

    #[test]
    fn j13_period_marks_set_lock_the_period_for_the_teacher_until_unlocked() {
        let s = Settings::default();
        let closed = JournalState {
            period_closed: true,
            ..JournalState::default()
        };
        let r = may_write(
            Writer::GroupTeacher,
            MARK,
            &lesson(10, 5),
            at(10, 5, 10, 0),
            closed,
            &s,
        );
        assert_eq!(r.unwrap_err().clause, "J13");
        let reopened = JournalState {
            unlocked: true,
            ..closed
        };
        assert!(
            may_write(
                Writer::GroupTeacher,
                MARK,
                &lesson(10, 5),
                at(10, 5, 10, 0),
                reopened,
                &s
            )
            .is_ok()
        );
    }

    fn w(values: &[i64]) -> Vec<Weighted> {
        values
            .iter()
            .map(|&value| Weighted {
                value,
                weight_tenths: 10,
            })
            .collect()
    }

    #[test]
    fn j12_the_suggestion_rounds_half_up_exactly() {
        // 2.49 (weights 1.0 × 2 and 1.0 × 3 would be 2.5; use weights to get just below).
        let just_below = [
            Weighted {
                value: 2,
                weight_tenths: 51,
            },
            Weighted {
                value: 3,
                weight_tenths: 49,
            },
        ];
        assert!((weighted_average(&just_below).unwrap() - 2.49).abs() < 1e-9);
        assert_eq!(rounded_average(&just_below), Some(2));
        assert_eq!(rounded_average(&w(&[2, 3])), Some(3)); // 2.5 → 3
        assert_eq!(rounded_average(&w(&[3, 4])), Some(4)); // 3.5 → 4
        assert_eq!(rounded_average(&w(&[4, 5])), Some(5)); // 4.5 → 5
        assert_eq!(rounded_average(&w(&[])), None);
        // Weights count: a control work (2.0) pulls harder than an answer (1.0).
        let weighted = [
            Weighted {
                value: 5,
                weight_tenths: 10,
            },
            Weighted {
                value: 3,
                weight_tenths: 20,
            },
        ];
        assert_eq!(rounded_average(&weighted), Some(4)); // 3.67
    }

    #[test]
    fn j12_j11_too_few_marks_suggest_not_attested() {
        assert_eq!(suggest(&w(&[5, 5, 5, 5]), 0, 0, 5), Suggestion::NotAttested);
        assert_eq!(suggest(&w(&[5, 5, 4, 4, 4]), 0, 0, 5), Suggestion::Mark(4));
        assert_eq!(suggest(&[], 3, 1, 3), Suggestion::Pass);
        assert_eq!(suggest(&[], 1, 2, 3), Suggestion::Fail);
        assert_eq!(Suggestion::NotAttested.value(), "na");
    }

    #[test]
    fn j12_period_marks_are_set_in_the_last_week_and_up_to_2_days_after() {
        let s = Settings::default();
        let q1 = Span::new(d(9, 1), d(10, 24));
        assert!(may_set_period_mark(q1, d(10, 17), false, &s).is_err());
        assert!(may_set_period_mark(q1, d(10, 18), false, &s).is_ok());
        assert!(may_set_period_mark(q1, d(10, 26), false, &s).is_ok());
        let late = may_set_period_mark(q1, d(10, 27), false, &s).unwrap_err();
        assert_eq!(late.clause, "J12");
        assert!(may_set_period_mark(q1, d(10, 27), true, &s).is_ok());
    }

    fn lessons(pattern: &str) -> Vec<Attended> {
        // p: present, m: present and marked, a: absent; the first two are after holidays.
        pattern
            .chars()
            .enumerate()
            .map(|(i, c)| Attended {
                present: c != 'a',
                marked: c == 'm',
                after_holidays: i < 2,
            })
            .collect()
    }

    #[test]
    fn j11_first_weeks_are_not_counted_then_one_mark_a_week() {
        let r = AccumulationRule::default();
        assert_eq!(r.required_by(2, 2), 0);
        assert_eq!(r.required_by(2, 3), 1);
        assert_eq!(r.required_by(2, 4), 2);
        assert_eq!(r.required_by(2, 20), 5);
        assert_eq!(r.required_by(1, 3), 0);
        assert_eq!(r.required_by(1, 4), 1);
        assert_eq!(r.required_by(1, 20), 3);
        assert_eq!(r.required_by(5, 3), 3);
        // Two weeks in, nobody lacks marks even without any.
        assert_eq!(accumulation_gap(&r, 2, 2, &lessons("pp")), None);
    }

    #[test]
    fn j11_two_lessons_attended_in_a_row_without_a_mark_flag_the_pupil() {
        let r = AccumulationRule::default();
        // The first two lessons after holidays do not count towards the run.
        assert_eq!(accumulation_gap(&r, 2, 1, &lessons("pp")), None);
        let gap = accumulation_gap(&r, 2, 2, &lessons("ppmpp")).unwrap();
        assert_eq!(gap.unmarked_in_row, 2);
        assert!(gap.text().contains("подряд без отметки: 2"));
        // An absence breaks the run.
        assert_eq!(accumulation_gap(&r, 2, 2, &lessons("ppmpap")), None);
    }

    #[test]
    fn j11_pupils_who_did_not_attend_are_not_counted() {
        let r = AccumulationRule::default();
        // Four weeks in, 2 marks needed; a pupil who attended one lesson needs at most one.
        assert_eq!(accumulation_gap(&r, 2, 4, &lessons("aaaaam")), None);
        // Two marks in four attended lessons: enough.
        assert_eq!(accumulation_gap(&r, 2, 4, &lessons("mpapam")), None);
        let short = accumulation_gap(&r, 2, 4, &lessons("aaampa")).unwrap();
        assert_eq!((short.required, short.has), (2, 1));
    }
}
