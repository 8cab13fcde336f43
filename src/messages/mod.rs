//! Internal messages (regulations §4: class teachers message parents through the system's
//! internal mail, 002, 004). A thread is about one pupil and is kept between a parent of that
//! pupil and one member of staff of the pupil's circle:
//!
//! - the teachers of the pupil's groups today (teaching load, or a timetable line in force),
//! - the class teacher of the pupil's current class,
//! - the school's deputies and director.
//!
//! The circle is one SQL query (`repo::circle`), asked from both sides: a parent writes to the
//! staff of their child's circle; a member of staff writes to the parents of pupils whose circle
//! they are in. Pupils and administrators have no mail. Participants reply within their threads.

pub mod repo;
pub mod service;

use crate::authz::Role;

/// The longest subject and message, in characters.
pub const SUBJECT_MAX: usize = 200;
pub const BODY_MAX: usize = 5000;

/// Which side of the circle a membership writes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// A parent, about the child of this membership.
    Family { pupil_id: i64 },
    /// A teacher, a class teacher, a deputy or the director.
    Staff,
}

/// The side a membership writes from; `None`: no mail (pupils, administrators).
pub fn side(role: Role, pupil_id: Option<i64>) -> Option<Side> {
    match (role, pupil_id) {
        (Role::Parent, Some(pupil_id)) => Some(Side::Family { pupil_id }),
        (Role::Director | Role::Deputy | Role::Teacher | Role::ClassTeacher, _) => {
            Some(Side::Staff)
        }
        _ => None,
    }
}

/// How a member of staff stands to a pupil, in the order a parent's form groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tie {
    ClassTeacher = 1,
    Teacher = 2,
    Management = 3,
}

impl Tie {
    pub fn from_code(code: i32) -> Self {
        match code {
            1 => Tie::ClassTeacher,
            2 => Tie::Teacher,
            _ => Tie::Management,
        }
    }

    /// The heading of the group on the parent's form.
    pub fn heading(self) -> &'static str {
        match self {
            Tie::Teacher => "Учителя",
            Tie::ClassTeacher => "Классный руководитель",
            Tie::Management => "Администрация",
        }
    }
}

/// «pupil:account», the value of a recipient on the forms.
pub fn recipient_value(pupil_id: i64, account_id: i64) -> String {
    format!("{pupil_id}:{account_id}")
}

pub fn parse_recipient(value: &str) -> Option<(i64, i64)> {
    let (pupil, account) = value.trim().split_once(':')?;
    Some((pupil.parse().ok()?, account.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_parents_and_teaching_staff_have_mail() {
        assert_eq!(
            side(Role::Parent, Some(7)),
            Some(Side::Family { pupil_id: 7 })
        );
        for role in [
            Role::Director,
            Role::Deputy,
            Role::Teacher,
            Role::ClassTeacher,
        ] {
            assert_eq!(side(role, None), Some(Side::Staff), "{role}");
        }
        assert_eq!(side(Role::Pupil, Some(7)), None);
        assert_eq!(side(Role::Administrator, None), None);
        assert_eq!(side(Role::Parent, None), None);
    }

    #[test]
    fn a_recipient_reads_back_from_the_form() {
        assert_eq!(parse_recipient(&recipient_value(3, 42)), Some((3, 42)));
        assert_eq!(parse_recipient("42"), None);
        assert_eq!(parse_recipient("a:b"), None);
    }
}
