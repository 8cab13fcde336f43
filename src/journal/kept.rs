//! The rules' facts of the lessons being written, kept between a teacher's saves (issue 16).
//!
//! A cell save judges the write by the lesson's facts (`repo::lesson_ctx`: the lesson, the
//! school's settings, whether the author teaches the group or substitutes, a deputy's unlock,
//! J13's closed period, 001 §6's break), a statement of some twenty tables that was a third of
//! the save's PostgreSQL CPU. A teacher types one cell after another into the same lesson, and
//! none of those facts changes with a mark or an absence. So they are kept per lesson and author,
//! and used again while
//!
//! - the last event of the lesson's journal other than its cells' values
//!   (`audit_journal_state_event`) and the school's last event (`audit_school_event`) are the ones
//!   read before the facts were: every change to a fact is audited in its own transaction, with
//!   its journal or with the school (the kept pages rely on the same, `web::page_cache`), and
//!   both are read, with the lesson's row lock, by one statement of two index probes;
//! - it is the same day in the school (J13's «closed» is as of today), and a deputy's unlock in
//!   force then has not ended since.
//!
//! The cells themselves are always read afresh, after the lock. A lesson still «scheduled» is not
//! kept: its first mark makes it held, a change no event records. Whoever may not read the
//! journal never reaches a kept entry: an entry is made only once `service::lesson` let its
//! author through, and what that judged is among the audited facts.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use super::repo::LessonCtx;
use crate::authz::Role;
use crate::clock::local_date;

/// Whose facts about which lesson.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    school: i64,
    lesson: i64,
    account: i64,
    role: Role,
    class: Option<i64>,
}

impl Key {
    pub fn new(
        school: crate::tenancy::SchoolId,
        lesson: i64,
        account: i64,
        role: Role,
        class: Option<i64>,
    ) -> Self {
        Key {
            school: school.0,
            lesson,
            account,
            role,
            class,
        }
    }
}

/// The last events the facts were read after (`audit::chain::version`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Versions {
    pub journal: i64,
    pub school: i64,
}

impl Versions {
    pub fn of(journal: Option<Vec<u8>>, school: Option<Vec<u8>>) -> Self {
        Versions {
            journal: crate::audit::chain::version(journal),
            school: crate::audit::chain::version(school),
        }
    }
}

struct Kept {
    versions: Versions,
    /// The school's date the facts were read on.
    day: NaiveDate,
    lesson: LessonCtx,
}

/// The kept facts, bounded by count; none kept when the bound is 0.
pub struct KeptLessons {
    lessons: Option<quick_cache::sync::Cache<Key, Arc<Kept>>>,
}

impl KeptLessons {
    /// At most `items` lessons' facts (about 1 KB each); 0 keeps none.
    pub fn new(items: usize) -> Self {
        KeptLessons {
            lessons: (items > 0).then(|| quick_cache::sync::Cache::new(items)),
        }
    }

    /// Whether any is kept.
    pub fn keeps(&self) -> bool {
        self.lessons.is_some()
    }

    /// The facts kept for `key`, when read at `versions`, on the same day, with no unlock ended
    /// since.
    pub fn get(&self, key: &Key, versions: Versions, now: DateTime<Utc>) -> Option<LessonCtx> {
        let kept = self.lessons.as_ref()?.get(key)?;
        let unlock_holds = kept.lesson.unlocked_until.is_none_or(|until| now < until);
        (kept.versions == versions
            && unlock_holds
            && local_date(now, &kept.lesson.time_zone) == kept.day)
            .then(|| kept.lesson.clone())
    }

    /// Forgets the facts kept for `key` (read in a transaction that was rolled back: they may
    /// be of its own writes, `together`).
    pub fn forget(&self, key: &Key) {
        if let Some(lessons) = &self.lessons {
            lessons.remove(key);
        }
    }

    /// Keeps the facts read at `versions` (see the module).
    pub fn keep(&self, key: Key, versions: Versions, now: DateTime<Utc>, lesson: &LessonCtx) {
        let Some(lessons) = &self.lessons else { return };
        if lesson.status == "scheduled" {
            return;
        }
        let kept = Kept {
            versions,
            day: local_date(now, &lesson.time_zone),
            lesson: lesson.clone(),
        };
        lessons.insert(key, Arc::new(kept));
    }
}
