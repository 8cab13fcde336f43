//! The clock. Rules never read the system clock: a `Clock` is injected so that tests can stand
//! on any date.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved: for tests and benchmarks.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().expect("clock lock") += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// Today in a school's time zone (an IANA name; Moscow if unknown).
pub fn local_today(clock: &dyn Clock, time_zone: &str) -> chrono::NaiveDate {
    local_date(clock.now(), time_zone)
}

/// The school's date at the instant `at` (its time zone: an IANA name; Moscow if unknown).
pub fn local_date(at: DateTime<Utc>, time_zone: &str) -> chrono::NaiveDate {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    at.with_timezone(&tz).date_naive()
}

/// Now as the school's wall clock shows it.
pub fn local_now(clock: &dyn Clock, time_zone: &str) -> chrono::NaiveDateTime {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
    clock.now().with_timezone(&tz).naive_local()
}
