//! The school's regulation settings (regulations §3 J1, J2, J6, J7, J11, J12, J17; §4): the journal's rules,
//! the class teacher's pages and the mail composer read them from `school`; the administrator
//! and the director change them on «Настройки школы» (`/admin/settings`) — one write, audited in
//! its transaction with what was and what became.

use chrono::NaiveTime;
use serde::Deserialize;
use serde_json::{Map, Value};
use sqlx::PgPool;

use super::SchoolId;
use super::repo;
use crate::audit::{self, Actor, Change};
use crate::authz::Access;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::mail::{DigestTime, WEEKDAYS};

/// The settings the page edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// J1: a lesson's records are locked this many days after it.
    pub entry_lock_days: i16,
    /// J2: current marks by this local time of the lesson day (`None`: the end of the day).
    pub mark_cutoff: Option<NaiveTime>,
    /// J7.
    pub homework_window_minutes: i16,
    /// J12.
    pub period_mark_grace_days: i16,
    /// J11 (four numbers).
    pub accumulation_min_marks_one_hour: i16,
    pub accumulation_min_marks_more_hours: i16,
    pub accumulation_grace_weeks: i16,
    pub accumulation_grace_weeks_one_hour: i16,
    /// §4 (003).
    pub parent_inactivity_days: i16,
    /// §4: e-mail digests (local hour 0–23, ISO weekday 1–7).
    pub digest_hour: i16,
    pub digest_weekday: i16,
    /// J17: ГИА results entered no later than this many days after they arrive.
    pub gia_entry_days: i16,
    /// J6: a deputy's approval of a period-mark correction waits for the director's agreement
    /// (the seeds' rule, the default), or applies it at once.
    pub correction_needs_director: bool,
    /// §5 (СанПиН 1.2.3685-21): minutes of homework a day allowed in grade 1, 2–3, 4–5, 6–8,
    /// 9–11 (`homework_limit`).
    pub homework_limit_grade_1: i16,
    pub homework_limit_grades_2_3: i16,
    pub homework_limit_grades_4_5: i16,
    pub homework_limit_grades_6_8: i16,
    pub homework_limit_grades_9_11: i16,
}

/// The form's choices for J6: who has the last word on a period-mark correction.
pub const CORRECTION_AGREEMENT: [(&str, &str); 2] = [
    (
        "director",
        "Заместитель утверждает, директор согласует — отметка меняется после согласия директора",
    ),
    (
        "deputy",
        "Достаточно утверждения заместителя директора — отметка меняется сразу",
    ),
];

/// A number setting: its form field (named as its column) and the bounds the schema allows.
struct Number {
    field: &'static str,
    min: i16,
    max: i16,
}

const fn number(field: &'static str, min: i16, max: i16) -> Number {
    Number { field, min, max }
}

/// The numbers in the page's order, with the bounds of migrations 1, 15 and 20261202000301.
const NUMBERS: [Number; 15] = [
    number("entry_lock_days", 0, 60),
    number("homework_window_minutes", 0, 1440),
    number("period_mark_grace_days", 0, 30),
    number("accumulation_min_marks_one_hour", 0, 50),
    number("accumulation_min_marks_more_hours", 0, 50),
    number("accumulation_grace_weeks", 0, 10),
    number("accumulation_grace_weeks_one_hour", 0, 10),
    number("parent_inactivity_days", 1, 90),
    number("digest_hour", 0, 23),
    number("gia_entry_days", 0, 30),
    number("homework_limit_grade_1", 0, 600),
    number("homework_limit_grades_2_3", 0, 600),
    number("homework_limit_grades_4_5", 0, 600),
    number("homework_limit_grades_6_8", 0, 600),
    number("homework_limit_grades_9_11", 0, 600),
];

impl Settings {
    pub fn digest_time(&self) -> DigestTime {
        DigestTime::from_columns(self.digest_hour, self.digest_weekday)
    }

    /// The minutes of homework a day allowed in a grade (§5, СанПиН 1.2.3685-21).
    pub fn homework_limit(&self, grade: i16) -> i16 {
        match grade {
            ..=1 => self.homework_limit_grade_1,
            2..=3 => self.homework_limit_grades_2_3,
            4..=5 => self.homework_limit_grades_4_5,
            6..=8 => self.homework_limit_grades_6_8,
            _ => self.homework_limit_grades_9_11,
        }
    }

    fn numbers(&self) -> [i16; 15] {
        [
            self.entry_lock_days,
            self.homework_window_minutes,
            self.period_mark_grace_days,
            self.accumulation_min_marks_one_hour,
            self.accumulation_min_marks_more_hours,
            self.accumulation_grace_weeks,
            self.accumulation_grace_weeks_one_hour,
            self.parent_inactivity_days,
            self.digest_hour,
            self.gia_entry_days,
            self.homework_limit_grade_1,
            self.homework_limit_grades_2_3,
            self.homework_limit_grades_4_5,
            self.homework_limit_grades_6_8,
            self.homework_limit_grades_9_11,
        ]
    }

    /// Every setting by its column name, as the audit trail records it (readable: the cut-off
    /// as «16:00» or «конец дня», the weekday by name).
    fn to_json(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert(
            "mark_cutoff".into(),
            Value::String(self.mark_cutoff.map_or("конец дня".into(), cutoff_text)),
        );
        for (n, value) in NUMBERS.iter().zip(self.numbers()) {
            map.insert(n.field.into(), Value::from(value));
        }
        let weekday = usize::try_from(self.digest_weekday - 1)
            .ok()
            .and_then(|i| WEEKDAYS.get(i));
        map.insert(
            "digest_weekday".into(),
            weekday.map_or(Value::from(self.digest_weekday), |w| Value::from(*w)),
        );
        map.insert(
            "correction_needs_director".into(),
            Value::from(if self.correction_needs_director {
                "нужно согласие директора"
            } else {
                "достаточно утверждения заместителя"
            }),
        );
        map
    }
}

fn cutoff_text(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// The page's form: what was typed, kept as typed when it comes back with messages.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub entry_lock_days: String,
    #[serde(default)]
    pub mark_cutoff: String,
    #[serde(default)]
    pub homework_window_minutes: String,
    #[serde(default)]
    pub period_mark_grace_days: String,
    #[serde(default)]
    pub accumulation_min_marks_one_hour: String,
    #[serde(default)]
    pub accumulation_min_marks_more_hours: String,
    #[serde(default)]
    pub accumulation_grace_weeks: String,
    #[serde(default)]
    pub accumulation_grace_weeks_one_hour: String,
    #[serde(default)]
    pub parent_inactivity_days: String,
    #[serde(default)]
    pub digest_hour: String,
    #[serde(default)]
    pub digest_weekday: String,
    #[serde(default)]
    pub gia_entry_days: String,
    /// «director» or «deputy» (`CORRECTION_AGREEMENT`).
    #[serde(default)]
    pub correction_agreement: String,
    #[serde(default)]
    pub homework_limit_grade_1: String,
    #[serde(default)]
    pub homework_limit_grades_2_3: String,
    #[serde(default)]
    pub homework_limit_grades_4_5: String,
    #[serde(default)]
    pub homework_limit_grades_6_8: String,
    #[serde(default)]
    pub homework_limit_grades_9_11: String,
}

impl SettingsForm {
    /// The form filled with the stored settings.
    pub fn of(s: &Settings) -> Self {
        Self {
            entry_lock_days: s.entry_lock_days.to_string(),
            mark_cutoff: s.mark_cutoff.map(cutoff_text).unwrap_or_default(),
            homework_window_minutes: s.homework_window_minutes.to_string(),
            period_mark_grace_days: s.period_mark_grace_days.to_string(),
            accumulation_min_marks_one_hour: s.accumulation_min_marks_one_hour.to_string(),
            accumulation_min_marks_more_hours: s.accumulation_min_marks_more_hours.to_string(),
            accumulation_grace_weeks: s.accumulation_grace_weeks.to_string(),
            accumulation_grace_weeks_one_hour: s.accumulation_grace_weeks_one_hour.to_string(),
            parent_inactivity_days: s.parent_inactivity_days.to_string(),
            digest_hour: s.digest_hour.to_string(),
            digest_weekday: s.digest_weekday.to_string(),
            gia_entry_days: s.gia_entry_days.to_string(),
            correction_agreement: if s.correction_needs_director {
                "director"
            } else {
                "deputy"
            }
            .into(),
            homework_limit_grade_1: s.homework_limit_grade_1.to_string(),
            homework_limit_grades_2_3: s.homework_limit_grades_2_3.to_string(),
            homework_limit_grades_4_5: s.homework_limit_grades_4_5.to_string(),
            homework_limit_grades_6_8: s.homework_limit_grades_6_8.to_string(),
            homework_limit_grades_9_11: s.homework_limit_grades_9_11.to_string(),
        }
    }

    fn numbers(&self) -> [&str; 15] {
        [
            &self.entry_lock_days,
            &self.homework_window_minutes,
            &self.period_mark_grace_days,
            &self.accumulation_min_marks_one_hour,
            &self.accumulation_min_marks_more_hours,
            &self.accumulation_grace_weeks,
            &self.accumulation_grace_weeks_one_hour,
            &self.parent_inactivity_days,
            &self.digest_hour,
            &self.gia_entry_days,
            &self.homework_limit_grade_1,
            &self.homework_limit_grades_2_3,
            &self.homework_limit_grades_4_5,
            &self.homework_limit_grades_6_8,
            &self.homework_limit_grades_9_11,
        ]
    }
}

/// «16:00», «9:30», «16.00» → a time; empty → `None` (the end of the day).
fn parse_cutoff(value: &str) -> Result<Option<NaiveTime>, ()> {
    let v = value.trim().replace('.', ":");
    if v.is_empty() {
        return Ok(None);
    }
    NaiveTime::parse_from_str(&v, "%H:%M")
        .map(Some)
        .map_err(|_| ())
}

/// Checks every field; a message next to each wrong one (Russian).
pub fn parse(form: &SettingsForm) -> Result<Settings, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mark_cutoff = parse_cutoff(&form.mark_cutoff).unwrap_or_else(|()| {
        errors.add(
            "mark_cutoff",
            "Время в виде ЧЧ:ММ, например 16:00, или оставьте пустым — тогда до конца дня.",
        );
        None
    });
    let mut numbers = [0i16; 15];
    for ((n, typed), value) in NUMBERS.iter().zip(form.numbers()).zip(numbers.iter_mut()) {
        let typed = typed.trim();
        match typed.parse::<i16>() {
            Ok(v) if (n.min..=n.max).contains(&v) => *value = v,
            _ if typed.is_empty() => errors.add(
                n.field,
                format!("Заполните: целое число от {} до {}.", n.min, n.max),
            ),
            _ => errors.add(
                n.field,
                format!("Введите целое число от {} до {}.", n.min, n.max),
            ),
        }
    }
    let digest_weekday = match form.digest_weekday.trim().parse::<i16>() {
        Ok(d) if (1..=7).contains(&d) => d,
        _ => {
            errors.add("digest_weekday", "Выберите день недели.");
            0
        }
    };
    let correction_needs_director = match form.correction_agreement.trim() {
        "director" => true,
        "deputy" => false,
        _ => {
            errors.add(
                "correction_agreement",
                "Выберите, нужно ли согласие директора на исправление итоговой отметки.",
            );
            true
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let [
        entry_lock_days,
        homework_window_minutes,
        period_mark_grace_days,
        accumulation_min_marks_one_hour,
        accumulation_min_marks_more_hours,
        accumulation_grace_weeks,
        accumulation_grace_weeks_one_hour,
        parent_inactivity_days,
        digest_hour,
        gia_entry_days,
        homework_limit_grade_1,
        homework_limit_grades_2_3,
        homework_limit_grades_4_5,
        homework_limit_grades_6_8,
        homework_limit_grades_9_11,
    ] = numbers;
    Ok(Settings {
        entry_lock_days,
        mark_cutoff,
        homework_window_minutes,
        period_mark_grace_days,
        accumulation_min_marks_one_hour,
        accumulation_min_marks_more_hours,
        accumulation_grace_weeks,
        accumulation_grace_weeks_one_hour,
        parent_inactivity_days,
        digest_hour,
        digest_weekday,
        gia_entry_days,
        correction_needs_director,
        homework_limit_grade_1,
        homework_limit_grades_2_3,
        homework_limit_grades_4_5,
        homework_limit_grades_6_8,
        homework_limit_grades_9_11,
    })
}

fn require(access: &Access) -> AppResult<()> {
    if access.can_change_school_settings() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The school's settings, for the page.
pub async fn get(pool: &PgPool, access: &Access) -> AppResult<Settings> {
    require(access)?;
    repo::settings(&mut *pool.acquire().await?, access.school_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The settings now in force, for whoever reads them (no permission needed to read).
pub async fn current(pool: &PgPool, school: SchoolId) -> AppResult<Settings> {
    repo::settings(&mut *pool.acquire().await?, school)
        .await?
        .ok_or(AppError::NotFound)
}

/// Saves the form: all of it or nothing. The audit event (`school.settings_changed`) holds the
/// settings that changed, before and after; saving the same values writes no event. Returns
/// whether anything changed.
pub async fn save(
    pool: &PgPool,
    access: &Access,
    actor: &Actor,
    form: &SettingsForm,
) -> AppResult<bool> {
    require(access)?;
    let new = parse(form).map_err(AppError::Invalid)?;
    let school = access.school_id;
    let mut tx = pool.begin().await?;
    let old = repo::lock_settings(&mut tx, school)
        .await?
        .ok_or(AppError::NotFound)?;
    if old == new {
        return Ok(false);
    }
    repo::update_settings(&mut tx, school, &new).await?;
    let (before, after) = (old.to_json(), new.to_json());
    let changed: Vec<&String> = after
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    let pick = |m: &Map<String, Value>| -> Map<String, Value> {
        changed
            .iter()
            .map(|k| ((*k).clone(), m[*k].clone()))
            .collect()
    };
    audit::record(
        &mut tx,
        school,
        actor,
        Change::new("school.settings_changed", "school", school.0)
            .before(pick(&before))
            .after(pick(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> SettingsForm {
        SettingsForm {
            entry_lock_days: "7".into(),
            mark_cutoff: String::new(),
            homework_window_minutes: "120".into(),
            period_mark_grace_days: "2".into(),
            accumulation_min_marks_one_hour: "3".into(),
            accumulation_min_marks_more_hours: "5".into(),
            accumulation_grace_weeks: "2".into(),
            accumulation_grace_weeks_one_hour: "3".into(),
            parent_inactivity_days: "14".into(),
            digest_hour: "18".into(),
            digest_weekday: "6".into(),
            gia_entry_days: "1".into(),
            correction_agreement: "director".into(),
            homework_limit_grade_1: "0".into(),
            homework_limit_grades_2_3: "90".into(),
            homework_limit_grades_4_5: "120".into(),
            homework_limit_grades_6_8: "150".into(),
            homework_limit_grades_9_11: "210".into(),
        }
    }

    #[test]
    fn the_defaults_read_back_as_the_schemas_defaults() {
        let s = parse(&defaults()).expect("valid");
        assert_eq!(s.mark_cutoff, None);
        assert_eq!(s.digest_time(), DigestTime::DEFAULT);
        assert_eq!(SettingsForm::of(&s).homework_window_minutes, "120");
        assert!(s.correction_needs_director, "J6: the director agrees");
        assert_eq!(SettingsForm::of(&s).correction_agreement, "director");
    }

    #[test]
    fn j6_the_agreement_is_one_of_two_choices_and_never_missing() {
        let deputy = SettingsForm {
            correction_agreement: " deputy ".into(),
            ..defaults()
        };
        assert!(!parse(&deputy).expect("valid").correction_needs_director);
        for typed in ["", "директор", "true"] {
            let form = SettingsForm {
                correction_agreement: typed.into(),
                ..defaults()
            };
            assert_eq!(
                parse(&form)
                    .expect_err("refused")
                    .get("correction_agreement"),
                Some("Выберите, нужно ли согласие директора на исправление итоговой отметки."),
                "{typed:?}"
            );
        }
    }

    #[test]
    fn the_homework_limits_follow_the_sanpin_age_bands_by_default() {
        let s = parse(&defaults()).expect("valid");
        let limits: Vec<i16> = (1..=11).map(|g| s.homework_limit(g)).collect();
        assert_eq!(limits, [0, 90, 90, 120, 120, 150, 150, 150, 210, 210, 210]);
        let bad = SettingsForm {
            homework_limit_grades_4_5: "601".into(),
            ..defaults()
        };
        assert_eq!(
            parse(&bad)
                .expect_err("refused")
                .get("homework_limit_grades_4_5"),
            Some("Введите целое число от 0 до 600.")
        );
    }

    #[test]
    fn a_cutoff_is_a_time_of_day_or_empty() {
        let t = |h, m| Some(NaiveTime::from_hms_opt(h, m, 0).unwrap());
        assert_eq!(parse_cutoff("16:00"), Ok(t(16, 0)));
        assert_eq!(parse_cutoff(" 9:30 "), Ok(t(9, 30)));
        assert_eq!(parse_cutoff("16.00"), Ok(t(16, 0)));
        assert_eq!(parse_cutoff(""), Ok(None));
        assert_eq!(parse_cutoff("25:00"), Err(()));
        assert_eq!(parse_cutoff("после уроков"), Err(()));
    }

    #[test]
    fn each_wrong_field_gets_its_own_message() {
        let form = SettingsForm {
            mark_cutoff: "16-00".into(),
            homework_window_minutes: String::new(),
            period_mark_grace_days: "два".into(),
            parent_inactivity_days: "0".into(),
            digest_hour: "25".into(),
            digest_weekday: "8".into(),
            ..defaults()
        };
        let errors = parse(&form).expect_err("refused");
        assert!(errors.get("mark_cutoff").is_some());
        assert_eq!(
            errors.get("homework_window_minutes"),
            Some("Заполните: целое число от 0 до 1440.")
        );
        assert_eq!(
            errors.get("period_mark_grace_days"),
            Some("Введите целое число от 0 до 30.")
        );
        assert_eq!(
            errors.get("parent_inactivity_days"),
            Some("Введите целое число от 1 до 90.")
        );
        assert_eq!(
            errors.get("digest_hour"),
            Some("Введите целое число от 0 до 23.")
        );
        assert_eq!(errors.get("digest_weekday"), Some("Выберите день недели."));
        assert!(errors.get("accumulation_grace_weeks").is_none());
    }
}
