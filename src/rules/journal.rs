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

    /// The message the user reads; the clause stays in code, logs and tests (no regulation codes
    /// on the pages users read).
    pub fn text(&self) -> String {
        self.message.clone()
    }
}

/// How the writer stands to the lesson: every capacity the person holds at once (J9, J15). A
/// class teacher who also teaches the group holds two, and may do what either allows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capacities {
    /// Teaches the group (teaching load).
    pub teaches: bool,
    /// Registered by a deputy as the substitute at this lesson (J15).
    pub substitutes: bool,
    /// The class teacher of the pupils' class (J9: sets the reasons of absences).
    pub class_teacher: bool,
}

impl Capacities {
    /// None of them (a deputy reads journals; pupils and parents only read their diary).
    pub const NONE: Capacities = Capacities {
        teaches: false,
        substitutes: false,
        class_teacher: false,
    };

    /// Writes the lesson's record, attendance and marks (the group's teacher or the substitute).
    pub fn writes_lesson(self) -> bool {
        self.teaches || self.substitutes
    }

    /// Sets the reasons of absences (J9: the class teacher).
    pub fn sets_reasons(self) -> bool {
        self.class_teacher
    }
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
    /// 001 §6: the lesson fell in a registered break in the system's work; what was written on
    /// paper is entered afterwards, not late, with the reason recorded in the audit trail.
    FromPaper,
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
    /// 001 §6: the lesson started during a registered break in the system's work, which ended
    /// then (local time).
    pub outage_ended: Option<NaiveDateTime>,
}

/// May a person holding `caps` make `entry` at a lesson at `now` (local time), and is it on
/// time? The union of what each capacity allows is granted.
pub fn may_write(
    caps: Capacities,
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
    if entry == Entry::AbsenceReason {
        // J9: weekly, by the class teacher, whatever else they are at this lesson.
        return if caps.sets_reasons() {
            Ok(Timing::OnTime)
        } else {
            Err(Refusal::new(
                "J9",
                "Причину пропуска (УП, НП, Б) указывает классный руководитель.",
            ))
        };
    }
    if !caps.writes_lesson() {
        return Err(if caps.class_teacher {
            Refusal::new(
                "J9",
                "Классный руководитель видит журнал по всем предметам класса, а записывает только причины пропусков.",
            )
        } else {
            Refusal::new(
                "J15",
                "Записи в журнал делает учитель группы или замещающий его на этом уроке учитель.",
            )
        });
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
    if let Some(ended) = state.outage_ended {
        // 001 §6: the paper record is entered within the lock's days after the break ended.
        let days_after_break = (now.date() - ended.date()).num_days();
        if days_after_break > lock_days && !state.unlocked {
            return Err(Refusal::new(
                "J1",
                format!(
                    "Урок {} прошёл во время перерыва в работе системы: записи с бумажного журнала вносятся не позднее {} дн. после окончания перерыва ({}). Открыть урок может заместитель директора.",
                    lesson.date.format("%d.%m.%Y"),
                    lock_days,
                    ended.format("%d.%m.%Y %H:%M")
                ),
            ));
        }
        return Ok(Timing::FromPaper);
    }
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
        Entry::Homework => Ok(if now <= homework_deadline(lesson, settings) {
            Timing::OnTime
        } else {
            // J7 + J1: the window decides whether homework is on time; after it the entry is
            // late (flagged), not refused, until the lesson itself locks.
            Timing::Late
        }),
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

/// J7: homework is on time until this long after the class's last lesson that day (the end of
/// the lesson day when the bells are not set).
pub fn homework_deadline(lesson: &LessonTime, settings: &Settings) -> NaiveDateTime {
    match lesson.class_day_ends_at {
        Some(day_end) => {
            lesson.date.and_time(day_end) + Duration::minutes(settings.homework_window_minutes)
        }
        None => lesson.date.and_time(NaiveTime::MIN) + Duration::seconds(86_399),
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

    /// Marks a pupil should have `weeks` full weeks into the period (J11, 002 and 003: «Первые 2
    /// недели (3 недели при 1-часовой недельной нагрузке) … не учитывается. По окончании 3 недель
    /// обязательна 1 отметка, по окончании 4-х недель — 2 отметки для предметов по 1-2 часа в
    /// неделю. Для предметов с большим количеством часов количество отметок увеличивается»).
    ///
    /// Nothing is required while the period's first weeks are not counted (`grace_weeks`, or
    /// `grace_weeks_one_hour` for a 1-hour subject). The count itself runs from the end of the
    /// general grace: one mark after week 3, two after week 4 for 1–2 hours (so a 1-hour subject,
    /// whose three weeks are not counted, owes its first mark as soon as they are over), one more
    /// each week after, and ⌈hours / 2⌉ a week for more hours — never more than the period mark
    /// needs (`min_marks`).
    ///
    /// | weeks | 1 h | 2 h | 5 h |
    /// |---|---|---|---|
    /// | 2 | 0 | 0 | 0 |
    /// | 3 | 1 | 1 | 3 |
    /// | 4 | 2 | 2 | 5 |
    /// | 5 | 3 | 3 | 5 |
    /// | 7 | 3 | 5 | 5 |
    pub fn required_by(&self, hours_per_week: i64, weeks: i64) -> i64 {
        if weeks < self.grace(hours_per_week) {
            return 0;
        }
        let per_week = if hours_per_week <= 2 {
            1
        } else {
            (hours_per_week + 1) / 2
        };
        ((weeks - self.grace_weeks).max(0) * per_week).min(self.min_marks(hours_per_week))
    }

    /// The first weeks of a period that are not counted (J11).
    pub fn grace(&self, hours_per_week: i64) -> i64 {
        if hours_per_week <= 1 {
            self.grace_weeks_one_hour.max(self.grace_weeks)
        } else {
            self.grace_weeks
        }
    }
}

/// Full weeks of the period gone by on `today` (J11 counts by them).
pub fn weeks_into(period: Span, today: NaiveDate) -> i64 {
    ((today.min(period.ends_on) - period.starts_on).num_days() / 7).max(0)
}

/// J11 «первые два урока после каникул не учитываются»: which of a group's lessons (dates in
/// order) are among the first two after holidays. Holidays are the school's holidays that apply
/// to the group's grade — nothing else: a long gap between two lessons of a 1-hour subject is
/// not a holiday. The period's start counts as a restart too (every period begins after
/// holidays, and the summer ones belong to the year before).
pub fn after_holidays(dates: &[NaiveDate], holidays: &[Span]) -> Vec<bool> {
    let mut since_restart = 0;
    let mut prev: Option<NaiveDate> = None;
    dates
        .iter()
        .map(|&date| {
            let restart = match prev {
                None => true,
                Some(p) => holidays.iter().any(|h| h.ends_on >= p && h.ends_on < date),
            };
            if restart {
                since_restart = 0;
            }
            since_restart += 1;
            prev = Some(date);
            since_restart <= 2
        })
        .collect()
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

/// J11: does a pupil lack marks `weeks` full weeks into the period? `marks` is the pupil's
/// count of marks in the period so far (every mark counts, two in one lesson and those from
/// other institutions too, as in the period mark's suggestion). Pupils who did not attend are
/// not counted: the requirement never exceeds the lessons the pupil attended; the first two
/// lessons after holidays do not count towards a run without marks. The journal page and the
/// teacher's start page both ask this.
pub fn accumulation_gap(
    rule: &AccumulationRule,
    hours_per_week: i64,
    weeks: i64,
    lessons: &[Attended],
    marks: i64,
) -> Option<Gap> {
    let attended = lessons.iter().filter(|l| l.present).count() as i64;
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
        has: marks,
        unmarked_in_row,
    };
    (marks < required || unmarked_in_row >= UNMARKED_IN_ROW).then_some(gap)
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
    const TEACHES: Capacities = Capacities {
        teaches: true,
        ..Capacities::NONE
    };
    const SUBSTITUTES: Capacities = Capacities {
        substitutes: true,
        ..Capacities::NONE
    };
    const CLASS_TEACHER: Capacities = Capacities {
        class_teacher: true,
        ..Capacities::NONE
    };

    fn write(entry: Entry, now: NaiveDateTime, settings: &Settings) -> Result<Timing, Refusal> {
        may_write(
            TEACHES,
            entry,
            &lesson(10, 5),
            now,
            JournalState::default(),
            settings,
        )
    }

    #[test]
    fn s6_001_a_lesson_during_a_break_in_the_systems_work_is_entered_from_paper_until_the_lock_after_the_break()
     {
        let s = Settings::default();
        let ended = Some(at(10, 5, 13, 0));
        let state = JournalState {
            outage_ended: ended,
            ..JournalState::default()
        };
        let write_at = |entry, now| may_write(TEACHES, entry, &lesson(10, 5), now, state, &s);
        // The same day, the next day, and long after the lesson's own lock: from paper, not late.
        assert_eq!(write_at(MARK, at(10, 5, 15, 0)), Ok(Timing::FromPaper));
        assert_eq!(
            write_at(Entry::Absence, at(10, 6, 8, 0)),
            Ok(Timing::FromPaper)
        );
        assert_eq!(
            write_at(Entry::Homework, at(10, 12, 23, 0)),
            Ok(Timing::FromPaper)
        );
        // Counted from the break's end, the lock still comes.
        let lock = s.entry_lock_days;
        let last = d(10, 5) + chrono::Duration::days(lock);
        assert_eq!(
            write_at(Entry::Topic, last.and_hms_opt(23, 0, 0).unwrap()),
            Ok(Timing::FromPaper)
        );
        let late = write_at(
            Entry::Topic,
            (last + chrono::Duration::days(1))
                .and_hms_opt(8, 0, 0)
                .unwrap(),
        )
        .unwrap_err();
        assert_eq!(late.clause, "J1");
        assert!(late.message.contains("перерыва в работе системы"));
        // Marks are still not given before the lesson started (J3).
        assert_eq!(write_at(MARK, at(10, 5, 8, 0)).unwrap_err().clause, "J3");
        // A lesson outside any break: as before.
        let plain = may_write(
            TEACHES,
            MARK,
            &lesson(10, 5),
            at(10, 6, 8, 0),
            JournalState::default(),
            &s,
        );
        assert_eq!(plain, Ok(Timing::Late));
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
            TEACHES,
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
    fn j7_j1_homework_after_the_window_is_late_not_refused_until_the_lesson_locks() {
        let s = Settings::default();
        // The class's last lesson ends at 14:00; the window is 2 hours.
        assert_eq!(
            write(Entry::Homework, at(10, 5, 16, 0), &s),
            Ok(Timing::OnTime)
        );
        assert_eq!(
            write(Entry::Homework, at(10, 5, 16, 1), &s),
            Ok(Timing::Late)
        );
        let s90 = Settings {
            homework_window_minutes: 90,
            ..s
        };
        assert_eq!(
            write(Entry::Homework, at(10, 5, 15, 31), &s90),
            Ok(Timing::Late)
        );
        assert_eq!(homework_deadline(&lesson(10, 5), &s90), at(10, 5, 15, 30));
        // Days later it is still late, and after the J1 lock it is refused like any entry.
        assert_eq!(
            write(Entry::Homework, at(10, 12, 23, 0), &s),
            Ok(Timing::Late)
        );
        let locked = write(Entry::Homework, at(10, 13, 0, 1), &s).unwrap_err();
        assert_eq!(locked.clause, "J1");
        // A deputy's unlock opens it, and the entry stays late.
        let unlocked = JournalState {
            unlocked: true,
            ..JournalState::default()
        };
        assert_eq!(
            may_write(
                TEACHES,
                Entry::Homework,
                &lesson(10, 5),
                at(10, 20, 9, 0),
                unlocked,
                &s
            ),
            Ok(Timing::Late)
        );
        // Without bells the window is the lesson's day.
        let no_bells = LessonTime {
            class_day_ends_at: None,
            ..lesson(10, 5)
        };
        let st = JournalState::default();
        assert_eq!(
            may_write(
                TEACHES,
                Entry::Homework,
                &no_bells,
                at(10, 5, 23, 59),
                st,
                &s
            ),
            Ok(Timing::OnTime)
        );
        assert_eq!(
            may_write(TEACHES, Entry::Homework, &no_bells, at(10, 6, 0, 0), st, &s),
            Ok(Timing::Late)
        );
        assert!(minutes_text(90) == "1 ч 30 мин");
    }

    #[test]
    fn j9_j15_only_the_groups_teacher_or_the_substitute_writes_the_class_teacher_sets_reasons() {
        let s = Settings::default();
        let now = at(10, 5, 10, 0);
        let l = lesson(10, 5);
        let st = JournalState::default();
        for caps in [TEACHES, SUBSTITUTES] {
            assert!(may_write(caps, MARK, &l, now, st, &s).is_ok());
            assert!(may_write(caps, Entry::AbsenceReason, &l, now, st, &s).is_err());
        }
        let ct = may_write(CLASS_TEACHER, MARK, &l, now, st, &s).unwrap_err();
        assert_eq!(ct.clause, "J9");
        assert!(may_write(CLASS_TEACHER, Entry::AbsenceReason, &l, now, st, &s).is_ok());
        assert_eq!(
            may_write(Capacities::NONE, Entry::Topic, &l, now, st, &s)
                .unwrap_err()
                .clause,
            "J15"
        );
        assert_eq!(
            may_write(Capacities::NONE, Entry::AbsenceReason, &l, now, st, &s)
                .unwrap_err()
                .clause,
            "J9"
        );
    }

    #[test]
    fn j9_a_class_teacher_who_teaches_the_group_holds_both_capacities_and_may_do_both() {
        let s = Settings::default();
        let l = lesson(10, 5);
        let st = JournalState::default();
        let both = Capacities {
            teaches: true,
            class_teacher: true,
            ..Capacities::NONE
        };
        assert_eq!(
            may_write(both, MARK, &l, at(10, 5, 10, 0), st, &s),
            Ok(Timing::OnTime)
        );
        assert_eq!(
            may_write(both, Entry::AbsenceReason, &l, at(10, 9, 10, 0), st, &s),
            Ok(Timing::OnTime)
        );
        // A class teacher substituting in their own class likewise.
        let substituting = Capacities {
            substitutes: true,
            class_teacher: true,
            ..Capacities::NONE
        };
        assert!(
            may_write(
                substituting,
                Entry::AbsenceReason,
                &l,
                at(10, 5, 10, 0),
                st,
                &s
            )
            .is_ok()
        );
        assert!(may_write(substituting, Entry::Homework, &l, at(10, 5, 10, 0), st, &s).is_ok());
    }

    #[test]
    fn j13_period_marks_set_lock_the_period_for_the_teacher_until_unlocked() {
        let s = Settings::default();
        let closed = JournalState {
            period_closed: true,
            ..JournalState::default()
        };
        let r = may_write(TEACHES, MARK, &lesson(10, 5), at(10, 5, 10, 0), closed, &s);
        assert_eq!(r.unwrap_err().clause, "J13");
        let reopened = JournalState {
            unlocked: true,
            ..closed
        };
        assert!(
            may_write(
                TEACHES,
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

    fn marks_in(pattern: &str) -> i64 {
        pattern.chars().filter(|&c| c == 'm').count() as i64
    }

    fn gap(r: &AccumulationRule, hours: i64, weeks: i64, pattern: &str) -> Option<Gap> {
        accumulation_gap(r, hours, weeks, &lessons(pattern), marks_in(pattern))
    }

    #[test]
    fn j11_a_one_hour_subject_owes_1_mark_after_3_weeks_2_after_4_and_3_for_the_period() {
        let r = AccumulationRule::default();
        let table: Vec<i64> = (0..=8).map(|w| r.required_by(1, w)).collect();
        assert_eq!(table, [0, 0, 0, 1, 2, 3, 3, 3, 3]);
        assert_eq!(r.min_marks(1), 3);
    }

    #[test]
    fn j11_a_two_hour_subject_owes_1_mark_after_3_weeks_2_after_4_then_one_a_week_up_to_5() {
        let r = AccumulationRule::default();
        let table: Vec<i64> = (0..=9).map(|w| r.required_by(2, w)).collect();
        assert_eq!(table, [0, 0, 0, 1, 2, 3, 4, 5, 5, 5]);
        assert_eq!(r.min_marks(2), 5);
        // Two weeks in, nobody lacks marks even without any.
        assert_eq!(gap(&r, 2, 2, "pp"), None);
    }

    #[test]
    fn j11_a_five_hour_subject_owes_more_marks_a_week_from_week_3_up_to_5() {
        let r = AccumulationRule::default();
        let table: Vec<i64> = (0..=6).map(|w| r.required_by(5, w)).collect();
        assert_eq!(table, [0, 0, 0, 3, 5, 5, 5]);
    }

    #[test]
    fn j11_a_school_that_counts_more_weeks_of_grace_for_one_hour_subjects_is_obeyed() {
        let r = AccumulationRule {
            grace_weeks_one_hour: 4,
            ..AccumulationRule::default()
        };
        assert_eq!(r.required_by(1, 3), 0);
        assert_eq!(r.required_by(1, 4), 2);
        assert_eq!(r.required_by(2, 3), 1);
    }

    #[test]
    fn j11_two_lessons_attended_in_a_row_without_a_mark_flag_the_pupil() {
        let r = AccumulationRule::default();
        // The first two lessons after holidays do not count towards the run.
        assert_eq!(gap(&r, 2, 1, "pp"), None);
        let g = gap(&r, 2, 2, "ppmpp").unwrap();
        assert_eq!(g.unmarked_in_row, 2);
        assert!(g.text().contains("подряд без отметки: 2"));
        // An absence breaks the run.
        assert_eq!(gap(&r, 2, 2, "ppmpap"), None);
    }

    #[test]
    fn j11_pupils_who_did_not_attend_are_not_counted() {
        let r = AccumulationRule::default();
        // Four weeks in, 2 marks needed; a pupil who attended one lesson needs at most one.
        assert_eq!(gap(&r, 2, 4, "aaaaam"), None);
        // Two marks in four attended lessons: enough.
        assert_eq!(gap(&r, 2, 4, "mpapam"), None);
        let short = gap(&r, 2, 4, "aaampa").unwrap();
        assert_eq!((short.required, short.has), (2, 1));
        // Every mark counts: two in one lesson are two.
        assert_eq!(accumulation_gap(&r, 2, 4, &lessons("aaampa"), 2), None);
    }

    /// Lesson dates from `first`, every `step` days, `n` of them, skipping `holiday`.
    fn dates(first: NaiveDate, step: i64, n: usize, holiday: Span) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut d = first;
        while out.len() < n {
            if !holiday.contains(d) {
                out.push(d);
            }
            d += Duration::days(step);
        }
        out
    }

    #[test]
    fn j11_only_the_schools_holidays_restart_the_count_of_lessons_without_a_mark() {
        // Autumn holidays 26.10–03.11; lessons once a week on Mondays from 5.10.
        let autumn = Span::new(d(10, 26), d(11, 3));
        let weekly = dates(d(10, 5), 7, 6, autumn);
        assert_eq!(
            weekly,
            [
                d(10, 5),
                d(10, 12),
                d(10, 19),
                d(11, 9),
                d(11, 16),
                d(11, 23)
            ]
        );
        // A week between lessons is no holiday: only the period's first two and the first two
        // after the autumn holidays are «after holidays».
        assert_eq!(
            after_holidays(&weekly, &[autumn]),
            [true, true, false, true, true, false]
        );
        // Without holidays in the table only the period's start restarts.
        assert_eq!(
            after_holidays(&weekly, &[]),
            [true, true, false, false, false, false]
        );
        // Holidays of another time of year change nothing.
        assert_eq!(
            after_holidays(&weekly, &[Span::new(d(12, 29), d(12, 31))]),
            [true, true, false, false, false, false]
        );
    }

    /// J11 end to end for a subject of `hours` a week: `n` lessons from 5.10, every attended
    /// and none marked; is the pupil flagged for a run without marks?
    fn run_flagged(hours: i64, lessons_needed: usize) -> Vec<i64> {
        let r = AccumulationRule::default();
        let step = match hours {
            1 => 7,
            2 => 3,
            _ => 1,
        };
        let all = dates(d(10, 5), step, lessons_needed, Span::new(d(1, 1), d(1, 1)));
        let flags = after_holidays(&all, &[]);
        (1..=all.len())
            .map(|n| {
                let lived: Vec<Attended> = flags[..n]
                    .iter()
                    .map(|&after| Attended {
                        present: true,
                        marked: false,
                        after_holidays: after,
                    })
                    .collect();
                accumulation_gap(&r, hours, 0, &lived, 0).map_or(0, |g| g.unmarked_in_row)
            })
            .collect()
    }

    #[test]
    fn j11_the_third_and_fourth_unmarked_lessons_flag_the_pupil_for_1_2_and_5_hours_a_week() {
        // One lesson a week: weeks apart, and still two in a row (the 4-day gap rule used to
        // call every lesson «after holidays» and never flag).
        assert_eq!(run_flagged(1, 4), [0, 0, 0, 2]);
        assert_eq!(run_flagged(2, 5), [0, 0, 0, 2, 3]);
        assert_eq!(run_flagged(5, 5), [0, 0, 0, 2, 3]);
    }

    #[test]
    fn j11_weeks_are_counted_from_the_periods_start_and_stop_at_its_end() {
        let q = Span::new(d(9, 1), d(10, 24));
        assert_eq!(weeks_into(q, d(9, 21)), 2);
        assert_eq!(weeks_into(q, d(9, 22)), 3);
        assert_eq!(weeks_into(q, d(12, 1)), 7);
        assert_eq!(weeks_into(q, d(8, 1)), 0);
    }
}
