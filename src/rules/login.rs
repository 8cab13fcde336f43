//! Brute-force protection of the login form (regulations §7: authentication must protect
//! access). Repeated failures first slow the login down, then lock it for a while. The decision
//! depends only on the login typed, never on whether it exists, so the answer gives no hint.
//!
//! Counted per address as well (issue 11): one address that fails this often within the window,
//! whatever logins it types, is refused for a while — the guessing of many logins stops there.
//! A school's pupils often share one address (NAT), and an attacker there or elsewhere must not
//! lock the real people out: a login that has signed in from an address within `known_for` is
//! "at home" there — the address limit does not apply to it, and only its own failures from that
//! address count towards its lock-out (so failures typed elsewhere cannot lock it at home).
//! The counts live in PostgreSQL (account_event), so they hold across several server processes.

use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Copy, Debug)]
pub struct LockoutPolicy {
    /// Failures counted within this window (since the last success).
    pub window: Duration,
    /// From this many failures on, every attempt waits a little longer.
    pub slow_after: usize,
    /// The extra wait per failure beyond `slow_after`, capped at `max_delay`.
    pub delay_step: Duration,
    pub max_delay: Duration,
    /// This many failures lock the login…
    pub lock_after: usize,
    /// …for this long after the last failure.
    pub lock_for: Duration,
    /// This many failures from one address within `window` (whatever the logins) refuse that
    /// address for `lock_for` after the last one…
    pub address_lock_after: usize,
    /// …except for a login that signed in successfully from there within this long.
    pub known_for: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            slow_after: 3,
            delay_step: Duration::seconds(1),
            max_delay: Duration::seconds(4),
            lock_after: 5,
            lock_for: Duration::minutes(15),
            address_lock_after: 30,
            known_for: Duration::days(30),
        }
    }
}

impl LockoutPolicy {
    /// The rule for one address: no slowing (a whole school may share it), a lock at
    /// `address_lock_after` failures.
    pub fn for_address(&self) -> LockoutPolicy {
        LockoutPolicy {
            slow_after: usize::MAX,
            lock_after: self.address_lock_after,
            ..*self
        }
    }
}

/// Whether a login attempt may go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginGate {
    Open,
    /// Go ahead after this wait.
    Slowed(Duration),
    /// Refused until then, whatever the password.
    Locked {
        until: DateTime<Utc>,
    },
}

/// How far back the failures that `gate` looks at reach.
pub fn lookback(policy: &LockoutPolicy) -> Duration {
    policy.window + policy.lock_for
}

/// Decides from the times of the failed attempts for this login since its last success (those
/// older than `lookback` may be left out).
pub fn gate(policy: &LockoutPolicy, failures: &[DateTime<Utc>], now: DateTime<Utc>) -> LoginGate {
    let mut sorted = failures.to_vec();
    sorted.sort();
    // Locked when `lock_after` failures fell within one window, until `lock_for` after the last.
    if policy.lock_after > 0 {
        let until = sorted
            .windows(policy.lock_after)
            .filter(|run| run[run.len() - 1] - run[0] < policy.window)
            .map(|run| run[run.len() - 1] + policy.lock_for)
            .max();
        if let Some(until) = until.filter(|u| *u > now) {
            return LoginGate::Locked { until };
        }
    }
    let recent = sorted.iter().filter(|t| now - **t < policy.window).count();
    if recent >= policy.slow_after {
        let steps = (recent - policy.slow_after + 1) as i32;
        return LoginGate::Slowed((policy.delay_step * steps).min(policy.max_delay));
    }
    LoginGate::Open
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + min * 60, 0).unwrap()
    }

    #[test]
    fn a_few_failures_leave_the_login_open() {
        let p = LockoutPolicy::default();
        assert_eq!(gate(&p, &[], at(0)), LoginGate::Open);
        assert_eq!(gate(&p, &[at(0), at(1)], at(2)), LoginGate::Open);
    }

    #[test]
    fn the_third_failure_slows_the_next_attempts_down_step_by_step() {
        let p = LockoutPolicy::default();
        assert_eq!(
            gate(&p, &[at(0), at(0), at(1)], at(2)),
            LoginGate::Slowed(Duration::seconds(1))
        );
        assert_eq!(
            gate(&p, &[at(0), at(0), at(1), at(1)], at(2)),
            LoginGate::Slowed(Duration::seconds(2))
        );
    }

    #[test]
    fn five_failures_lock_the_login_for_fifteen_minutes_after_the_last() {
        let p = LockoutPolicy::default();
        let failures = [at(0), at(1), at(2), at(3), at(4)];
        assert_eq!(
            gate(&p, &failures, at(5)),
            LoginGate::Locked { until: at(19) }
        );
        assert_eq!(
            gate(&p, &failures, at(18)),
            LoginGate::Locked { until: at(19) }
        );
        // Once the window has passed the old failures no longer count.
        assert_eq!(gate(&p, &failures, at(40)), LoginGate::Open);
    }

    #[test]
    fn an_address_is_never_slowed_and_locked_only_after_thirty_failures() {
        let p = LockoutPolicy::default().for_address();
        let failures: Vec<_> = (0..29).map(|_| at(0)).collect();
        assert_eq!(gate(&p, &failures, at(1)), LoginGate::Open);
        let failures: Vec<_> = (0..30).map(|_| at(0)).collect();
        assert_eq!(
            gate(&p, &failures, at(1)),
            LoginGate::Locked { until: at(15) }
        );
        assert_eq!(gate(&p, &failures, at(16)), LoginGate::Open);
    }
}
