//! Compromised credentials (000 §21, 004 §5.4): «every operation made with those credentials from
//! the moment of the report is invalid». A user (for themselves) or the administrator or the
//! director (for anyone of the school) declares an account's credentials lost as of a moment T;
//! at once every session of the account ends and it cannot sign in until the administrator
//! issues a new password. The director and the deputies then see every change made with the
//! account since T (from the audit trail) and revert it — through the journal's own write
//! functions — unless somebody else changed the same thing later.
//!
//! `service` holds the writes (declare, revert) and the reads; `repo` the queries.

pub mod repo;
pub mod service;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};

/// The reason recorded on every revert.
pub const REASON: &str = "изменение сделано с утраченными учётными данными";

/// T may be set at most this many days back: the regulation asks to report within an hour or a
/// working day, and a month covers holidays; earlier leaks are a matter for the audit page.
pub const MAX_DAYS_BACK: i64 = 30;

/// The most changes one declaration's page lists (and «revert all» takes) at once.
pub const LIST_LIMIT: i64 = 500;

/// The stored hash of a locked account: no password verifies against it, so the account cannot
/// sign in until the administrator resets its password.
pub const LOCKED_HASH: &str = "!credentials-compromised";

/// Reads T as typed in the school's local time: empty — now; «2026-11-30T10:15[:30]» (the
/// browser's date-time field) or «30.11.2026 10:15[:30]». Not in the future, not more than
/// `MAX_DAYS_BACK` days back. The error is the Russian message for the field.
pub fn parse_since(
    raw: &str,
    now: DateTime<Utc>,
    time_zone: &str,
) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(now);
    }
    let formats = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
    ];
    let local = formats
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .ok_or_else(|| {
            "Укажите дату и время в виде ДД.ММ.ГГГГ ЧЧ:ММ, например 30.11.2026 10:15.".to_string()
        })?;
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    let since = tz
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(|| "Такого времени в часовом поясе школы нет.".to_string())?
        .with_timezone(&Utc);
    if since > now {
        return Err("Укажите момент утраты не позже текущего.".into());
    }
    if since < now - Duration::days(MAX_DAYS_BACK) {
        return Err(format!(
            "Момент утраты — не раньше чем за {MAX_DAYS_BACK} дней; более ранние изменения \
             проверьте по журналу изменений."
        ));
    }
    Ok(since)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
    }

    #[test]
    fn r000_21_the_moment_is_read_in_the_schools_time_and_bounded() {
        let tz = "Europe/Moscow";
        assert_eq!(parse_since("", now(), tz), Ok(now()));
        assert_eq!(
            parse_since("2026-11-30T14:30", now(), tz),
            Ok(Utc.with_ymd_and_hms(2026, 11, 30, 11, 30, 0).unwrap())
        );
        assert_eq!(
            parse_since("30.11.2026 14:30:15", now(), tz),
            Ok(Utc.with_ymd_and_hms(2026, 11, 30, 11, 30, 15).unwrap())
        );
        assert!(
            parse_since("вчера", now(), tz)
                .unwrap_err()
                .contains("ДД.ММ.ГГГГ")
        );
        assert!(
            parse_since("30.11.2026 16:00", now(), tz)
                .unwrap_err()
                .contains("не позже текущего")
        );
        assert!(
            parse_since("01.10.2026 10:00", now(), tz)
                .unwrap_err()
                .contains("30 дней")
        );
    }
}
