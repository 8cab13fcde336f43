//! The composer: for each parent who may get mail, what is due now becomes one outbox row, in the
//! transaction that moves the parent's cursor — so a second run finds nothing, and a crash leaves
//! either both or neither. Dedupe keys make even two composers racing insert once.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use sqlx::PgPool;

use super::NotifyMode;
use super::repo::{self, Entry, EntryKind, NewMail, Recipient};
use crate::tenancy::SchoolId;

/// Entries are told once they are this old: a mark written in a transaction that began a
/// moment ago but commits after the composer ran is still caught by the next run.
pub const SETTLE: Duration = Duration::seconds(60);
/// A parent who had no mail for a while (consent withdrawn, then given again) gets at most this
/// much of the past.
pub const LOOKBACK: Duration = Duration::days(7);
/// Digests are composed from this local hour: the school day and its journal entries are done.
pub const DIGEST_HOUR: u32 = 18;

/// Composes what is due in every school; returns how many messages went into the outbox.
pub async fn compose_all(pool: &PgPool, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let mut composed = 0;
    for school in repo::schools(pool).await? {
        composed += compose_school(pool, school.id, &school.time_zone, now).await?;
    }
    Ok(composed)
}

/// What a parent is due, as seen at the school's local time.
#[derive(Debug, PartialEq, Eq)]
enum Due {
    Nothing,
    Instant,
    /// A digest of the local day (daily) or the week to that day (weekly): its first day, the
    /// day it is composed on, and the key of the period.
    Digest {
        first: NaiveDate,
        last: NaiveDate,
    },
}

fn due(mode: NotifyMode, local: chrono::NaiveDateTime, digest_on: Option<NaiveDate>) -> Due {
    let today = local.date();
    let evening = local.hour() >= DIGEST_HOUR;
    match mode {
        NotifyMode::None => Due::Nothing,
        NotifyMode::Instant => Due::Instant,
        NotifyMode::Daily => {
            if evening && digest_on.is_none_or(|d| d < today) {
                Due::Digest {
                    first: today,
                    last: today,
                }
            } else {
                Due::Nothing
            }
        }
        NotifyMode::Weekly => {
            let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
            let ready = match today.weekday() {
                Weekday::Sat => evening,
                Weekday::Sun => true,
                _ => false,
            };
            if ready && digest_on.is_none_or(|d| d < monday) {
                Due::Digest {
                    first: monday,
                    last: today,
                }
            } else {
                Due::Nothing
            }
        }
    }
}

/// Composes what is due for the school's parents; returns how many messages it enqueued.
pub async fn compose_school(
    pool: &PgPool,
    school: SchoolId,
    time_zone: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    let local = now.with_timezone(&tz).naive_local();
    let today = local.date();
    let upto = now - SETTLE;
    let mut composed = 0;
    for candidate in repo::recipients(pool, school, today).await? {
        let mode = NotifyMode::from_code(&candidate.notify_mode).unwrap_or(NotifyMode::None);
        if candidate.notified_until.is_some()
            && due(mode, local, candidate.digest_on) == Due::Nothing
        {
            continue;
        }
        let mut tx = pool.begin().await?;
        // Locked and checked again: consent or the choice may have changed since the list.
        let Some(parent) = repo::lock_recipient(&mut tx, school, candidate.id).await? else {
            continue;
        };
        let mode = NotifyMode::from_code(&parent.notify_mode).unwrap_or(NotifyMode::None);
        let Some(cursor) = parent.notified_until else {
            // Never composed for: start from now rather than send the whole past.
            repo::set_cursor(&mut tx, school, parent.id, upto, None).await?;
            tx.commit().await?;
            continue;
        };
        let from = cursor.max(upto - LOOKBACK);
        let due = due(mode, local, parent.digest_on);
        let (mut entries, digest) = match due {
            Due::Nothing => continue,
            Due::Instant => (Vec::new(), None),
            Due::Digest { first, last } => (Vec::new(), Some((first, last))),
        };
        if from < upto {
            entries.extend(repo::new_marks(&mut tx, school, parent.id, from, upto, today).await?);
            entries
                .extend(repo::new_absences(&mut tx, school, parent.id, from, upto, today).await?);
        }
        let (key, kind, subject_head, homework) = match digest {
            None => {
                if entries.is_empty() {
                    continue;
                }
                (
                    format!(
                        "instant:{}:{}-{}",
                        parent.id,
                        from.timestamp_micros(),
                        upto.timestamp_micros()
                    ),
                    "instant",
                    "Новые отметки и пропуски".to_string(),
                    Vec::new(),
                )
            }
            Some((first, last)) => {
                let homework =
                    repo::homework(&mut tx, school, parent.id, first, last, today).await?;
                let (kind, head) = if mode == NotifyMode::Weekly {
                    (
                        "weekly",
                        format!(
                            "Дневник за неделю {}–{}",
                            first.format("%d.%m"),
                            last.format("%d.%m.%Y")
                        ),
                    )
                } else {
                    ("daily", format!("Дневник за {}", last.format("%d.%m.%Y")))
                };
                (
                    format!("{kind}:{}:{}", parent.id, first),
                    kind,
                    head,
                    homework,
                )
            }
        };
        if !entries.is_empty() || !homework.is_empty() {
            let (subject, body) = letter(&parent, mode, &subject_head, &entries, &homework);
            let added = repo::enqueue(
                &mut tx,
                school,
                &NewMail {
                    parent_id: parent.id,
                    kind,
                    dedupe_key: &key,
                    to_address: &parent.email,
                    subject: &subject,
                    body: &body,
                    now,
                },
            )
            .await?;
            composed += usize::from(added);
        }
        let digest_on = digest.map(|(_, last)| last);
        repo::set_cursor(&mut tx, school, parent.id, upto.max(cursor), digest_on).await?;
        tx.commit().await?;
    }
    Ok(composed)
}

pub fn mark_text(value: &str) -> &str {
    match value {
        "pass" => "зачёт",
        "fail" => "незачёт",
        other => other,
    }
}

fn reason_text(reason: Option<&str>) -> &'static str {
    match reason {
        Some("excused") => " (по уважительной причине)",
        Some("unexcused") => " (без уважительной причины)",
        Some("ill") => " (по болезни)",
        _ => "",
    }
}

fn line(e: &Entry) -> String {
    let on = e.on.format("%d.%m.%Y");
    match &e.what {
        EntryKind::Mark { value, work } => {
            format!(
                "  {on}, {}: отметка {} ({})",
                e.subject,
                mark_text(value),
                work.to_lowercase()
            )
        }
        EntryKind::Absence {
            lesson_number,
            reason,
        } => format!(
            "  {on}, {}: отсутствовал(а) на {lesson_number}-м уроке{}",
            e.subject,
            reason_text(reason.as_deref())
        ),
        EntryKind::Homework { text } => format!("  {on}, {}: {text}", e.subject),
    }
}

/// The subject and plain-text body of a message (Russian).
fn letter(
    parent: &Recipient,
    mode: NotifyMode,
    head: &str,
    entries: &[Entry],
    homework: &[Entry],
) -> (String, String) {
    // Children in the order of the entries (already sorted by name).
    let mut children: Vec<(i64, String, String)> = Vec::new();
    for e in entries.iter().chain(homework) {
        if !children.iter().any(|c| c.0 == e.pupil_id) {
            children.push((e.pupil_id, e.pupil_name.clone(), e.class_name.clone()));
        }
    }
    children.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let names: Vec<&str> = children.iter().map(|c| c.1.as_str()).collect();
    let subject = format!("{head} — {}", names.join(", "));
    let greeting = format!("{} {}", parent.first_name, parent.middle_name);
    let mut body = format!("Здравствуйте, {}!\n", greeting.trim());
    for (id, name, class) in &children {
        body.push_str(&format!("\n{name}, {class} класс\n"));
        let marks: Vec<String> = entries
            .iter()
            .filter(|e| e.pupil_id == *id && matches!(e.what, EntryKind::Mark { .. }))
            .map(line)
            .collect();
        let absences: Vec<String> = entries
            .iter()
            .filter(|e| e.pupil_id == *id && matches!(e.what, EntryKind::Absence { .. }))
            .map(line)
            .collect();
        let tasks: Vec<String> = homework
            .iter()
            .filter(|e| e.pupil_id == *id)
            .map(line)
            .collect();
        for (title, lines) in [
            ("Отметки", marks),
            ("Пропуски", absences),
            ("Домашнее задание", tasks),
        ] {
            if !lines.is_empty() {
                body.push_str(&format!("{title}:\n{}\n", lines.join("\n")));
            }
        }
    }
    let why = match mode {
        NotifyMode::Instant => "о каждой новой отметке и пропуске",
        NotifyMode::Daily => "ежедневную сводку",
        NotifyMode::Weekly => "еженедельную сводку",
        NotifyMode::None => "",
    };
    body.push_str(&format!(
        "\nВы получили это письмо, потому что выбрали в электронном дневнике уведомления {why}.\n\
         Изменить выбор или отказаться: раздел «Уведомления» в электронном дневнике.\n\
         Письмо отправлено автоматически, отвечать на него не нужно.\n"
    ));
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    #[test]
    fn a_daily_digest_is_due_once_each_evening() {
        let tue = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(
            due(NotifyMode::Daily, at(2026, 11, 24, 17), None),
            Due::Nothing
        );
        assert_eq!(
            due(NotifyMode::Daily, at(2026, 11, 24, 18), None),
            Due::Digest {
                first: tue,
                last: tue
            }
        );
        assert_eq!(
            due(NotifyMode::Daily, at(2026, 11, 24, 21), Some(tue)),
            Due::Nothing
        );
    }

    #[test]
    fn a_weekly_digest_is_due_from_saturday_evening_once_a_week() {
        let mon = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let sat = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(
            due(NotifyMode::Weekly, at(2026, 11, 27, 20), None),
            Due::Nothing
        );
        assert_eq!(
            due(NotifyMode::Weekly, at(2026, 11, 28, 12), None),
            Due::Nothing
        );
        assert_eq!(
            due(NotifyMode::Weekly, at(2026, 11, 28, 18), None),
            Due::Digest {
                first: mon,
                last: sat
            }
        );
        assert_eq!(
            due(NotifyMode::Weekly, at(2026, 11, 29, 9), Some(sat)),
            Due::Nothing
        );
        // Missed on Saturday (the server was down): Sunday catches up.
        assert!(matches!(
            due(
                NotifyMode::Weekly,
                at(2026, 11, 29, 9),
                Some(mon - Duration::days(1))
            ),
            Due::Digest { .. }
        ));
    }
}
