//! The composer: for the parents who may get mail, what is due now becomes outbox rows, in the
//! transaction that moves their cursors — so a second run finds nothing, and a crash leaves
//! either both or neither. Dedupe keys make even two composers racing insert once.
//!
//! Set-based: a batch of up to `BATCH` parents costs the same six statements whatever its size
//! (lock the parents, read their new marks, new absences and homework, insert the messages, move
//! the cursors); each statement takes every chosen parent's own bounds as arrays (`unnest`).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use sqlx::PgPool;

use super::repo::{self, Cursor, Days, Entry, EntryKind, NewMail, Recipient, Since};
use super::{DigestTime, NotifyMode};
use crate::tenancy::SchoolId;

/// Entries are told once they are this old: a mark written in a transaction that began a
/// moment ago but commits after the composer ran is still caught by the next run.
pub const SETTLE: Duration = Duration::seconds(60);
/// A parent who had no mail for a while (consent withdrawn, then given again) gets at most this
/// much of the past.
pub const LOOKBACK: Duration = Duration::days(7);
/// Parents composed for in one transaction.
pub const BATCH: i64 = 500;

/// Composes what is due in every school; returns how many messages went into the outbox.
pub async fn compose_all(pool: &PgPool, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let mut composed = 0;
    for school in repo::schools(pool).await? {
        let at = DigestTime::from_columns(school.digest_hour, school.digest_weekday);
        composed += compose_school(pool, school.id, &school.time_zone, at, now, BATCH).await?;
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

fn due(
    mode: NotifyMode,
    local: chrono::NaiveDateTime,
    digest_on: Option<NaiveDate>,
    at: DigestTime,
) -> Due {
    let today = local.date();
    let past_hour = local.hour() >= at.hour;
    match mode {
        NotifyMode::None => Due::Nothing,
        NotifyMode::Instant => Due::Instant,
        NotifyMode::Daily => {
            if past_hour && digest_on.is_none_or(|d| d < today) {
                Due::Digest {
                    first: today,
                    last: today,
                }
            } else {
                Due::Nothing
            }
        }
        NotifyMode::Weekly => {
            // The week is Monday to Sunday: due from the chosen day at the chosen hour, and on
            // any later day of the same week if it was missed (the server was down).
            let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
            let (day, chosen) = (
                today.weekday().num_days_from_monday(),
                at.weekday.num_days_from_monday(),
            );
            let ready = day > chosen || (day == chosen && past_hour);
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

/// A parent who is due a message now, with the window of entries to read.
struct Plan {
    parent: Recipient,
    mode: NotifyMode,
    cursor: DateTime<Utc>,
    from: DateTime<Utc>,
    /// The days of a digest; `None`: instant.
    digest: Option<(NaiveDate, NaiveDate)>,
}

/// Entries read for many parents, by parent (each parent's in the order they were read).
fn by_parent(rows: Vec<(i64, Entry)>) -> HashMap<i64, Vec<Entry>> {
    let mut map: HashMap<i64, Vec<Entry>> = HashMap::new();
    for (parent, entry) in rows {
        map.entry(parent).or_default().push(entry);
    }
    map
}

/// Composes what is due for the school's parents, digests at the school's `at`, `batch` parents a
/// transaction (`BATCH`; tests take small ones to cross batches); returns how many messages it
/// enqueued.
pub async fn compose_school(
    pool: &PgPool,
    school: SchoolId,
    time_zone: &str,
    at: DigestTime,
    now: DateTime<Utc>,
    batch: i64,
) -> anyhow::Result<usize> {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    let local = now.with_timezone(&tz).naive_local();
    let today = local.date();
    let upto = now - SETTLE;
    let mut composed = 0;
    let mut after_id = 0;
    loop {
        let mut tx = pool.begin().await?;
        // Locked, so consent and the choice cannot change under us, and another composer skips
        // these parents (it takes the next ones).
        let parents = repo::lock_recipients(&mut tx, school, today, after_id, batch).await?;
        let Some(last) = parents.last() else {
            break;
        };
        after_id = last.id;
        let full = parents.len() as i64 >= batch;

        let mut cursors = Vec::new();
        let mut plans = Vec::new();
        for parent in parents {
            let mode = NotifyMode::from_code(&parent.notify_mode).unwrap_or(NotifyMode::None);
            let Some(cursor) = parent.notified_until else {
                // Never composed for: start from now rather than send the whole past.
                cursors.push(Cursor {
                    parent_id: parent.id,
                    notified_until: upto,
                    digest_on: None,
                });
                continue;
            };
            let digest = match due(mode, local, parent.digest_on, at) {
                Due::Nothing => continue,
                Due::Instant => None,
                Due::Digest { first, last } => Some((first, last)),
            };
            plans.push(Plan {
                from: cursor.max(upto - LOOKBACK),
                parent,
                mode,
                cursor,
                digest,
            });
        }

        let windows: Vec<Since> = plans
            .iter()
            .filter(|p| p.from < upto)
            .map(|p| Since {
                parent_id: p.parent.id,
                since: p.from,
            })
            .collect();
        let days: Vec<Days> = plans
            .iter()
            .filter_map(|p| {
                p.digest.map(|(first, last)| Days {
                    parent_id: p.parent.id,
                    first,
                    last,
                })
            })
            .collect();
        let mut marks = by_parent(repo::new_marks(&mut tx, school, &windows, upto, today).await?);
        let mut absences =
            by_parent(repo::new_absences(&mut tx, school, &windows, upto, today).await?);
        let mut homework = by_parent(repo::homework(&mut tx, school, &days, today).await?);

        let mut mails = Vec::new();
        for plan in plans {
            let id = plan.parent.id;
            let mut entries = marks.remove(&id).unwrap_or_default();
            entries.extend(absences.remove(&id).unwrap_or_default());
            let homework = homework.remove(&id).unwrap_or_default();
            let (key, kind, head) = match plan.digest {
                None => {
                    if entries.is_empty() {
                        // Nothing new: the cursor stays (no write for a quiet parent).
                        continue;
                    }
                    (
                        format!(
                            "instant:{id}:{}-{}",
                            plan.from.timestamp_micros(),
                            upto.timestamp_micros()
                        ),
                        "instant",
                        "Новые отметки и пропуски".to_string(),
                    )
                }
                Some((first, last)) => {
                    if plan.mode == NotifyMode::Weekly {
                        (
                            format!("weekly:{id}:{first}"),
                            "weekly",
                            format!(
                                "Дневник за неделю {}–{}",
                                first.format("%d.%m"),
                                last.format("%d.%m.%Y")
                            ),
                        )
                    } else {
                        (
                            format!("daily:{id}:{first}"),
                            "daily",
                            format!("Дневник за {}", last.format("%d.%m.%Y")),
                        )
                    }
                }
            };
            if !entries.is_empty() || !homework.is_empty() {
                let (subject, body) = letter(&plan.parent, plan.mode, &head, &entries, &homework);
                mails.push(NewMail {
                    parent_id: id,
                    kind,
                    dedupe_key: key,
                    to_address: plan.parent.email.clone(),
                    subject,
                    body,
                });
            }
            cursors.push(Cursor {
                parent_id: id,
                notified_until: upto.max(plan.cursor),
                digest_on: plan.digest.map(|(_, last)| last),
            });
        }
        composed += repo::enqueue(&mut tx, school, &mails, now).await? as usize;
        repo::set_cursors(&mut tx, school, &cursors).await?;
        tx.commit().await?;
        if !full {
            break;
        }
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
    use chrono::Weekday;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    const DEFAULT: DigestTime = DigestTime::DEFAULT;

    #[test]
    fn a_daily_digest_is_due_once_each_evening() {
        let tue = day(24);
        assert_eq!(
            due(NotifyMode::Daily, at(2026, 11, 24, 17), None, DEFAULT),
            Due::Nothing
        );
        assert_eq!(
            due(NotifyMode::Daily, at(2026, 11, 24, 18), None, DEFAULT),
            Due::Digest {
                first: tue,
                last: tue
            }
        );
        assert_eq!(
            due(NotifyMode::Daily, at(2026, 11, 24, 21), Some(tue), DEFAULT),
            Due::Nothing
        );
    }

    #[test]
    fn a_daily_digest_follows_the_schools_hour() {
        let eight_pm = DigestTime {
            hour: 20,
            ..DEFAULT
        };
        let tue = day(24);
        assert_eq!(
            due(NotifyMode::Daily, at(2026, 11, 24, 18), None, eight_pm),
            Due::Nothing
        );
        assert_eq!(
            due(
                NotifyMode::Daily,
                at(2026, 11, 24, 20),
                Some(day(23)),
                eight_pm
            ),
            Due::Digest {
                first: tue,
                last: tue
            }
        );
        // Midnight: due from the very start of the day.
        let midnight = DigestTime { hour: 0, ..DEFAULT };
        assert!(matches!(
            due(
                NotifyMode::Daily,
                at(2026, 11, 24, 0),
                Some(day(23)),
                midnight
            ),
            Due::Digest { .. }
        ));
    }

    #[test]
    fn a_weekly_digest_is_due_from_saturday_evening_once_a_week() {
        let (mon, sat) = (day(23), day(28));
        assert_eq!(
            due(NotifyMode::Weekly, at(2026, 11, 27, 20), None, DEFAULT),
            Due::Nothing
        );
        assert_eq!(
            due(NotifyMode::Weekly, at(2026, 11, 28, 12), None, DEFAULT),
            Due::Nothing
        );
        assert_eq!(
            due(NotifyMode::Weekly, at(2026, 11, 28, 18), None, DEFAULT),
            Due::Digest {
                first: mon,
                last: sat
            }
        );
        assert_eq!(
            due(NotifyMode::Weekly, at(2026, 11, 29, 9), Some(sat), DEFAULT),
            Due::Nothing
        );
        // Missed on Saturday (the server was down): Sunday catches up.
        assert!(matches!(
            due(
                NotifyMode::Weekly,
                at(2026, 11, 29, 9),
                Some(mon - Duration::days(1)),
                DEFAULT
            ),
            Due::Digest { .. }
        ));
        // The next Monday is another week: nothing until its Saturday.
        assert_eq!(
            due(NotifyMode::Weekly, at(2026, 11, 30, 19), Some(sat), DEFAULT),
            Due::Nothing
        );
    }

    #[test]
    fn a_weekly_digest_follows_the_schools_weekday_and_is_caught_up_later_that_week() {
        let (mon, wed, thu) = (day(23), day(25), day(26));
        let wednesday_noon = DigestTime {
            hour: 12,
            weekday: Weekday::Wed,
        };
        let last_week = Some(mon - Duration::days(1));
        assert_eq!(
            due(
                NotifyMode::Weekly,
                at(2026, 11, 24, 23),
                last_week,
                wednesday_noon
            ),
            Due::Nothing,
            "not on Tuesday"
        );
        assert_eq!(
            due(
                NotifyMode::Weekly,
                at(2026, 11, 25, 11),
                last_week,
                wednesday_noon
            ),
            Due::Nothing,
            "not before noon"
        );
        assert_eq!(
            due(
                NotifyMode::Weekly,
                at(2026, 11, 25, 12),
                last_week,
                wednesday_noon
            ),
            Due::Digest {
                first: mon,
                last: wed
            }
        );
        assert_eq!(
            due(
                NotifyMode::Weekly,
                at(2026, 11, 26, 8),
                Some(wed),
                wednesday_noon
            ),
            Due::Nothing,
            "once a week"
        );
        // Missed on Wednesday: Thursday morning (any hour) catches up, and so would Sunday.
        assert_eq!(
            due(
                NotifyMode::Weekly,
                at(2026, 11, 26, 8),
                last_week,
                wednesday_noon
            ),
            Due::Digest {
                first: mon,
                last: thu
            }
        );
        assert!(matches!(
            due(
                NotifyMode::Weekly,
                at(2026, 11, 29, 23),
                last_week,
                wednesday_noon
            ),
            Due::Digest { .. }
        ));

        // Sunday: only on Sunday, from the hour; Monday: the whole week catches up.
        let sunday = DigestTime {
            hour: 18,
            weekday: Weekday::Sun,
        };
        assert_eq!(
            due(NotifyMode::Weekly, at(2026, 11, 28, 23), last_week, sunday),
            Due::Nothing
        );
        assert!(matches!(
            due(NotifyMode::Weekly, at(2026, 11, 29, 18), last_week, sunday),
            Due::Digest { .. }
        ));
        let monday = DigestTime {
            hour: 7,
            weekday: Weekday::Mon,
        };
        assert_eq!(
            due(NotifyMode::Weekly, at(2026, 11, 23, 7), last_week, monday),
            Due::Digest {
                first: mon,
                last: mon
            }
        );
    }

    #[test]
    fn a_schools_columns_become_its_digest_time() {
        assert_eq!(
            DigestTime::from_columns(20, 3),
            DigestTime {
                hour: 20,
                weekday: Weekday::Wed
            }
        );
        assert_eq!(DigestTime::from_columns(18, 7).weekday, Weekday::Sun);
        assert_eq!(DigestTime::from_columns(25, 0), DigestTime::DEFAULT);
        assert_eq!(
            NotifyMode::Weekly
                .when(DigestTime::from_columns(20, 5))
                .as_deref(),
            Some("раз в неделю: в пятницу после 20:00")
        );
        assert_eq!(
            NotifyMode::Daily.when(DigestTime::DEFAULT).as_deref(),
            Some("каждый день после 18:00")
        );
    }
}
