//! The monthly user activity report (regulations §5: the administrator analyses the keeping of
//! the journals weekly; the management sees who uses the system): who signed in, diary openings,
//! «Ознакомлен», messages, and the teachers' time sheet of work with the journal — three
//! set-based queries whatever the school's size.
//!
//! - Signed in: an account with a `school_entered` event of this school in the month (written
//!   whenever a person enters the school after login — `login_succeeded` has no school), among the
//!   accounts holding a teacher (or class teacher), parent or pupil role in the school not revoked
//!   before the month began. A person with two roles counts in both.
//! - The time sheet: a day counts for a teacher when the audit trail holds at least one journal
//!   entry by them that day (school time): [`JOURNAL_ACTIONS`].

use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone, Utc};
use sqlx::PgPool;

use super::{fixed, percent_tenths, whole};
use crate::error::{AppResult, FieldErrors};
use crate::exports::table::{Cell, Column, Kind, Table};
use crate::tenancy::SchoolId;

/// The audit actions that are journal entries of a teacher (the time sheet). The query and the
/// partial index `audit_event_journal_entry` repeat the list literally.
pub const JOURNAL_ACTIONS: [&str; 12] = [
    "mark.given",
    "mark.corrected",
    "mark.removed",
    "mark.external",
    "absence.marked",
    "absence.removed",
    "lesson.recorded",
    "mark_column.added",
    "mark_column.changed",
    "period_mark.set",
    "period_mark.deferred",
    "period_mark.corrected",
];

/// The first day of the month asked for (`2026-11`), or the current month when none is given;
/// a Russian message for the `month` field otherwise.
pub fn parse_month(text: &str, today: NaiveDate) -> Result<NaiveDate, FieldErrors> {
    let text = text.trim();
    let current = today.with_day(1).expect("day 1");
    if text.is_empty() {
        return Ok(current);
    }
    let mut errors = FieldErrors::new();
    let parsed = text
        .split_once('-')
        .filter(|(y, m)| y.len() == 4 && (1..=2).contains(&m.len()))
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
        .filter(|(y, _)| *y >= 2000)
        .and_then(|(y, m)| NaiveDate::from_ymd_opt(y, m, 1));
    match parsed {
        Some(first) if first <= current => return Ok(first),
        Some(_) => errors.add(
            "month",
            "Этот месяц ещё не наступил: выберите прошедший или текущий.",
        ),
        None => errors.add("month", "Месяц в виде ГГГГ-ММ, например 2026-11."),
    }
    Err(errors)
}

/// «ноябрь 2026».
pub fn month_words(first: NaiveDate) -> String {
    const NAMES: [&str; 12] = [
        "январь",
        "февраль",
        "март",
        "апрель",
        "май",
        "июнь",
        "июль",
        "август",
        "сентябрь",
        "октябрь",
        "ноябрь",
        "декабрь",
    ];
    format!("{} {}", NAMES[first.month0() as usize], first.year())
}

/// Who signed in, of one kind of user.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub label: &'static str,
    /// Accounts with the role in the school during the month.
    pub members: i64,
    /// Of them, those who entered the school in the month.
    pub signed_in: i64,
}

impl SignedIn {
    pub fn share_tenths(&self) -> Option<i64> {
        percent_tenths(self.signed_in, self.members)
    }
}

/// A teacher's line of the time sheet.
#[derive(Clone, Debug)]
pub struct SheetLine {
    pub account_id: i64,
    pub name: String,
    /// One per day of the month: whether the teacher made journal entries that day.
    pub days: Vec<bool>,
    pub days_worked: i64,
}

/// A figure of the diary and messages part.
#[derive(Clone, Debug)]
pub struct Figure {
    pub label: &'static str,
    pub value: i64,
}

#[derive(Clone, Debug)]
pub struct Activity {
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// Teachers, parents, pupils.
    pub signed_in: Vec<SignedIn>,
    pub figures: Vec<Figure>,
    pub sheet: Vec<SheetLine>,
}

impl Activity {
    /// The days of the month, 1..=28–31.
    pub fn day_numbers(&self) -> Vec<u32> {
        (1..=self.last.day()).collect()
    }

    /// The report as one table for CSV and XLSX: sign-ins, the diary and messages, then the
    /// time sheet with a column per day («✓» on a day with entries).
    pub fn table(&self, title: &str) -> Table {
        let mut columns = vec![
            Column::new("Раздел", Kind::Text),
            Column::new("Показатель / учитель", Kind::Text),
            Column::new("Число", Kind::Number),
            Column::new("Из них с ролью", Kind::Number),
            Column::new("Доля, %", Kind::Number),
        ];
        for d in self.day_numbers() {
            columns.push(Column::new(d.to_string(), Kind::Text));
        }
        let width = columns.len();
        let pad = |mut row: Vec<Cell>| {
            row.resize(width, Cell::Empty);
            row
        };
        let mut rows = Vec::new();
        for s in &self.signed_in {
            rows.push(pad(vec![
                Cell::text("Вошли в систему"),
                Cell::text(s.label),
                whole(s.signed_in),
                whole(s.members),
                fixed(s.share_tenths(), 1),
            ]));
        }
        for f in &self.figures {
            rows.push(pad(vec![
                Cell::text("Дневник и сообщения"),
                Cell::text(f.label),
                whole(f.value),
            ]));
        }
        for t in &self.sheet {
            let mut row = vec![
                Cell::text("Табель: дней с записями"),
                Cell::text(t.name.clone()),
                whole(t.days_worked),
                Cell::Empty,
                Cell::Empty,
            ];
            row.extend(
                t.days
                    .iter()
                    .map(|&w| if w { Cell::text("✓") } else { Cell::Empty }),
            );
            rows.push(pad(row));
        }
        Table {
            title: title.into(),
            columns,
            rows,
            notes: Vec::new(),
        }
    }
}

fn midnight(day: NaiveDate, tz: chrono_tz::Tz) -> chrono::DateTime<Utc> {
    tz.from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .map_or_else(
            || day.and_time(NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

/// The activity of the month starting on `first` (school time `time_zone`).
pub async fn report(
    pool: &PgPool,
    school: SchoolId,
    first: NaiveDate,
    time_zone: &str,
) -> AppResult<Activity> {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .expect("a month later");
    let last = next.pred_opt().expect("the day before");
    let (from, until) = (midnight(first, tz), midnight(next, tz));
    let groups = sqlx::query!(
        r#"WITH m AS (
               SELECT DISTINCT m.account_id,
                      CASE WHEN m.role = 'class_teacher' THEN 'teacher' ELSE m.role END AS kind
               FROM membership m
               WHERE m.school_id = $1 AND m.role IN ('teacher', 'class_teacher', 'parent', 'pupil')
                 AND (m.revoked_at IS NULL OR m.revoked_at >= $2)
           ), s AS (
               SELECT DISTINCT e.account_id FROM account_event e
               WHERE e.school_id = $1 AND e.kind = 'school_entered' AND e.at >= $2 AND e.at < $3
           )
           SELECT m.kind AS "kind!", count(*) AS "members!", count(s.account_id) AS "signed_in!"
           FROM m LEFT JOIN s ON s.account_id = m.account_id
           GROUP BY m.kind"#,
        school.0,
        from,
        until
    )
    .fetch_all(pool)
    .await?;
    let signed_in = [
        ("teacher", "Учителя"),
        ("parent", "Родители"),
        ("pupil", "Обучающиеся"),
    ]
    .into_iter()
    .map(|(kind, label)| {
        let g = groups.iter().find(|g| g.kind == kind);
        SignedIn {
            label,
            members: g.map_or(0, |g| g.members),
            signed_in: g.map_or(0, |g| g.signed_in),
        }
    })
    .collect();
    let f = sqlx::query!(
        r#"SELECT
             (SELECT coalesce(sum(v.views), 0) FROM diary_visit v
              WHERE v.school_id = $1 AND v.on_date BETWEEN $2 AND $3)::bigint AS "openings!",
             (SELECT count(DISTINCT v.account_id) FROM diary_visit v
              WHERE v.school_id = $1 AND v.on_date BETWEEN $2 AND $3 AND v.role = 'parent') AS "parents!",
             (SELECT count(DISTINCT v.account_id) FROM diary_visit v
              WHERE v.school_id = $1 AND v.on_date BETWEEN $2 AND $3 AND v.role = 'pupil') AS "pupils!",
             (SELECT count(*) FROM diary_ack k
              WHERE k.school_id = $1 AND k.acknowledged_at >= $4 AND k.acknowledged_at < $5) AS "acks!",
             (SELECT count(DISTINCT k.account_id) FROM diary_ack k
              WHERE k.school_id = $1 AND k.acknowledged_at >= $4 AND k.acknowledged_at < $5) AS "ack_parents!",
             (SELECT count(*) FROM message msg
              WHERE msg.school_id = $1 AND msg.sent_at >= $4 AND msg.sent_at < $5) AS "messages!",
             (SELECT count(*) FROM message msg
              JOIN message_thread t ON t.school_id = msg.school_id AND t.id = msg.thread_id
              WHERE msg.school_id = $1 AND msg.sent_at >= $4 AND msg.sent_at < $5
                AND EXISTS (SELECT 1 FROM membership m
                            WHERE m.school_id = $1 AND m.account_id = msg.author_id
                              AND m.role = 'parent' AND m.pupil_id = t.about_pupil_id)) AS "from_parents!""#,
        school.0,
        first,
        last,
        from,
        until
    )
    .fetch_one(pool)
    .await?;
    let figures = vec![
        Figure {
            label: "Открытий дневника",
            value: f.openings,
        },
        Figure {
            label: "Родителей, открывавших дневник",
            value: f.parents,
        },
        Figure {
            label: "Обучающихся, открывавших дневник",
            value: f.pupils,
        },
        Figure {
            label: "Отметок «Ознакомлен»",
            value: f.acks,
        },
        Figure {
            label: "Родителей, нажимавших «Ознакомлен»",
            value: f.ack_parents,
        },
        Figure {
            label: "Сообщений отправлено",
            value: f.messages,
        },
        Figure {
            label: "из них родителями",
            value: f.from_parents,
        },
        Figure {
            label: "из них сотрудниками",
            value: f.messages - f.from_parents,
        },
    ];
    let rows = sqlx::query!(
        r#"WITH t AS (
               SELECT DISTINCT m.account_id FROM membership m
               WHERE m.school_id = $1 AND m.role IN ('teacher', 'class_teacher')
                 AND (m.revoked_at IS NULL OR m.revoked_at >= $2)
           ), e AS (
               SELECT DISTINCT a.actor_account_id AS account_id,
                      extract(day FROM a.at AT TIME ZONE $4)::int AS day
               FROM audit_event a
               WHERE a.school_id = $1 AND a.at >= $2 AND a.at < $3
                 AND a.action IN ('mark.given', 'mark.corrected', 'mark.removed', 'mark.external',
                                  'absence.marked', 'absence.removed', 'lesson.recorded',
                                  'mark_column.added', 'mark_column.changed',
                                  'period_mark.set', 'period_mark.deferred', 'period_mark.corrected')
           )
           SELECT ac.id, ac.last_name, ac.first_name, ac.middle_name,
                  coalesce(array_agg(e.day ORDER BY e.day) FILTER (WHERE e.day IS NOT NULL),
                           '{}') AS "days!: Vec<i32>"
           FROM t
           JOIN account ac ON ac.id = t.account_id
           LEFT JOIN e ON e.account_id = t.account_id
           GROUP BY ac.id, ac.last_name, ac.first_name, ac.middle_name
           ORDER BY ac.last_name, ac.first_name, ac.middle_name, ac.id"#,
        school.0,
        from,
        until,
        tz.name()
    )
    .fetch_all(pool)
    .await?;
    let count = last.day() as usize;
    let sheet = rows
        .into_iter()
        .map(|r| {
            let mut days = vec![false; count];
            for d in r.days {
                if let Some(slot) = usize::try_from(d - 1).ok().and_then(|i| days.get_mut(i)) {
                    *slot = true;
                }
            }
            SheetLine {
                account_id: r.id,
                name: super::short_name(&r.last_name, &r.first_name, &r.middle_name),
                days_worked: days.iter().filter(|&&w| w).count() as i64,
                days,
            }
        })
        .collect();
    Ok(Activity {
        first,
        last,
        signed_in,
        figures,
        sheet,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_month_is_read_as_year_dash_month_and_never_in_the_future() {
        let today = d(2026, 11, 20);
        assert_eq!(parse_month("", today), Ok(d(2026, 11, 1)));
        assert_eq!(parse_month("2026-09", today), Ok(d(2026, 9, 1)));
        assert_eq!(parse_month(" 2026-9 ", today), Ok(d(2026, 9, 1)));
        for bad in ["2026-13", "ноябрь", "26-11", "2026-11-01", "1999-01"] {
            let e = parse_month(bad, today).unwrap_err();
            assert_eq!(
                e.get("month"),
                Some("Месяц в виде ГГГГ-ММ, например 2026-11."),
                "{bad}"
            );
        }
        assert!(parse_month("2026-12", today).is_err());
        assert_eq!(month_words(d(2026, 11, 1)), "ноябрь 2026");
    }
}
