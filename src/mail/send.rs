//! The sender: takes one due message at a time (found, then claimed with a lease by an `UPDATE`
//! that checks again it is due and free: `repo::claim`), hands it to
//! the SMTP server, and records `sent_at` at once; a failure is recorded with the next attempt's
//! time. Several workers may run; none sends a message another one holds.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::PgPool;

use super::repo::{self, Claimed};
use super::{MailerConfig, Stats};
use crate::clock::Clock;

/// After this many attempts a message is given up (the operators' list shows it as an error).
pub const MAX_ATTEMPTS: i32 = 10;
/// A worker holds a message this long; longer than an SMTP exchange may take (`SMTP_TIMEOUT`),
/// so another worker never takes a message that is still being sent.
pub const LEASE: Duration = Duration::minutes(5);
pub const SMTP_TIMEOUT: StdDuration = StdDuration::from_secs(30);
/// At most this many messages per round, so one round cannot run for ever.
const ROUND: usize = 500;

/// The wait before attempt `n + 1` after `n` failed ones: 1, 2, 4 … minutes, at most 2 hours.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 8) - 1;
    Duration::minutes((1i64 << exp).min(120))
}

fn transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
        .timeout(Some(SMTP_TIMEOUT))
        .build())
}

fn message(from: &Mailbox, m: &Claimed, now: DateTime<Utc>) -> Result<Message, String> {
    let to: Mailbox = m
        .to_address
        .parse()
        .map_err(|e| format!("неверный адрес получателя: {e}"))?;
    let domain = from.email.domain().to_string();
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(m.subject.clone())
        // The same id on every attempt: a mail client shows a rare repeat as one message.
        .message_id(Some(format!("<outbox.{}.{}@{domain}>", m.school_id, m.id)))
        .date(now.into())
        .header(ContentType::TEXT_PLAIN)
        .body(m.body.clone())
        .map_err(|e| format!("письмо не собрано: {e}"))
}

/// Sends due messages until none is left (or a round's worth).
pub async fn send_due(
    pool: &PgPool,
    clock: &dyn Clock,
    mailer: &MailerConfig,
    stats: &mut Stats,
) -> anyhow::Result<()> {
    let Some(url) = &mailer.smtp_url else {
        return Ok(());
    };
    let smtp = transport(url)?;
    let from: Mailbox = mailer.from.parse()?;
    for _ in 0..ROUND {
        let now = clock.now();
        let Some(m) = repo::claim(pool, now, now + LEASE, MAX_ATTEMPTS).await? else {
            break;
        };
        if !m.allowed {
            repo::mark_cancelled(
                pool,
                m.school_id,
                m.id,
                "не отправлено: нет согласия на обработку персональных данных или адреса почты",
                now,
            )
            .await?;
            stats.cancelled += 1;
            continue;
        }
        let message = match message(&from, &m, now) {
            Ok(message) => message,
            Err(why) => {
                repo::mark_cancelled(pool, m.school_id, m.id, &why, now).await?;
                stats.cancelled += 1;
                continue;
            }
        };
        match smtp.send(message).await {
            Ok(_) => {
                // Recorded at once: the only window for a repeat is a crash right here.
                repo::mark_sent(pool, m.school_id, m.id, clock.now()).await?;
                stats.sent += 1;
            }
            Err(e) if e.is_permanent() => {
                let why = format!("сервер почты отказал: {e}");
                repo::mark_cancelled(pool, m.school_id, m.id, &why, clock.now()).await?;
                stats.cancelled += 1;
            }
            Err(e) => {
                let why = format!("попытка {} не удалась: {e}", m.attempts);
                tracing::warn!(school = m.school_id, id = m.id, error = %e, "mail not sent");
                let next = clock.now() + backoff(m.attempts);
                repo::mark_failed(pool, m.school_id, m.id, &why, next).await?;
                stats.failed += 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_two_hours() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(2));
        assert_eq!(backoff(4), Duration::minutes(8));
        assert_eq!(backoff(9), Duration::minutes(120));
    }

    #[test]
    fn the_default_sender_is_a_valid_address() {
        let from: Mailbox = crate::config::DEFAULT_MAIL_FROM.parse().expect("parses");
        assert_eq!(from.email.to_string(), "noreply@zhurnal.local");
        assert_eq!(from.name.as_deref(), Some("«Журнал»"));
    }
}
