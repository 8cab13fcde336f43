//! Roles and what each may do. Every page and every write asks `Access`; templates never decide.

pub mod menu;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::tenancy::SchoolId;

/// A role a person holds in a school (shared/docs/regulations.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Director,
    Deputy,
    Administrator,
    Teacher,
    ClassTeacher,
    Parent,
    Pupil,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Director,
        Role::Deputy,
        Role::Administrator,
        Role::Teacher,
        Role::ClassTeacher,
        Role::Parent,
        Role::Pupil,
    ];

    /// Roles the school administrator grants on the accounts page; class teachers, parents and
    /// pupils are scoped to a class or a pupil and come with the class lists.
    pub const STAFF: [Role; 4] = [
        Role::Director,
        Role::Deputy,
        Role::Administrator,
        Role::Teacher,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Director => "director",
            Role::Deputy => "deputy",
            Role::Administrator => "administrator",
            Role::Teacher => "teacher",
            Role::ClassTeacher => "class_teacher",
            Role::Parent => "parent",
            Role::Pupil => "pupil",
        }
    }

    /// The role's name in the interface.
    pub fn label(self) -> &'static str {
        match self {
            Role::Director => "Директор",
            Role::Deputy => "Заместитель директора",
            Role::Administrator => "Администратор",
            Role::Teacher => "Учитель",
            Role::ClassTeacher => "Классный руководитель",
            Role::Parent => "Родитель",
            Role::Pupil => "Обучающийся",
        }
    }

    /// The role's start page.
    pub fn home(self) -> &'static str {
        match self {
            Role::Director => "/director",
            Role::Deputy => "/deputy",
            Role::Administrator => "/admin",
            Role::Teacher => "/teacher",
            Role::ClassTeacher => "/class-teacher",
            Role::Parent => "/parent",
            Role::Pupil => "/pupil",
        }
    }

    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Parent | Role::Pupil)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(UnknownRole)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role")]
pub struct UnknownRole;

/// What the person may do in the school they work in now: built per request from the chosen
/// membership.
#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub school_id: SchoolId,
    pub role: Role,
    /// The class of a class teacher.
    pub class_id: Option<i64>,
    /// An administrator granted the timetable permission («диспетчер расписания»).
    pub timetable_editor: bool,
}

impl Access {
    /// Create accounts, grant and revoke roles, reset passwords (regulations §1, §7).
    pub fn can_manage_accounts(&self) -> bool {
        matches!(self.role, Role::Administrator | Role::Director)
    }

    /// Enter the state final attestation results (J17): the deputy — «the person the school
    /// appoints» is, in this product, a deputy (docs/DOMAIN.md).
    pub fn can_enter_gia(&self) -> bool {
        self.role == Role::Deputy
    }

    /// Read the school's audit trail.
    pub fn can_read_audit(&self) -> bool {
        matches!(self.role, Role::Administrator | Role::Director)
    }

    /// Verify the audit trail's hash chain (regulations §7, issue 14 item 1): the director, who
    /// answers for the school's records.
    pub fn can_verify_audit_chain(&self) -> bool {
        self.role == Role::Director
    }

    /// Set up the school year: periods, holidays, bells, … (regulations §2: the deputy and the
    /// administrator).
    pub fn can_setup_year(&self) -> bool {
        matches!(self.role, Role::Deputy | Role::Administrator)
    }

    /// Build and change the timetable, register substitutions and transfers: a deputy, or an
    /// administrator holding the timetable permission (regulations §1, §2).
    pub fn can_edit_timetable(&self) -> bool {
        self.role == Role::Deputy || (self.role == Role::Administrator && self.timetable_editor)
    }

    /// Close a year, open the next, promote pupils (the administrator, by the director's order;
    /// the director too).
    pub fn can_close_year(&self) -> bool {
        matches!(self.role, Role::Administrator | Role::Director)
    }

    /// See the year's end page: the order waiting or in force, whether the year is closed. The
    /// deputies read it (they set up the next year's classes); the director and the
    /// administrator act on it (`can_close_year`).
    pub fn can_view_year_end(&self) -> bool {
        self.can_close_year() || self.role == Role::Deputy
    }

    /// See how the school year is set up (the director approves it).
    pub fn can_view_year_setup(&self) -> bool {
        self.can_setup_year() || self.role == Role::Director
    }

    /// Open classes, enrol, transfer and withdraw pupils (regulations §1: the administrator
    /// keeps the pupil lists; the deputy sets up the year).
    pub fn can_manage_pupils(&self) -> bool {
        matches!(self.role, Role::Deputy | Role::Administrator)
    }

    /// Keep the data of pupils of `class_id` and their parents (the class teacher of that class,
    /// or whoever manages pupils).
    pub fn can_keep_family_data(&self, class_id: Option<i64>) -> bool {
        self.can_manage_pupils()
            || (self.role == Role::ClassTeacher && class_id.is_some() && self.class_id == class_id)
    }

    /// See class lists and pupil cards of `class_id`.
    pub fn can_view_class(&self, class_id: Option<i64>) -> bool {
        self.can_keep_family_data(class_id) || self.role == Role::Director
    }

    /// Change the school's regulation settings on «Настройки школы» (J2, J7, J11, J12, §4): the
    /// administrator and the director.
    pub fn can_change_school_settings(&self) -> bool {
        matches!(self.role, Role::Administrator | Role::Director)
    }

    /// Read every journal of the school — marks, absences with their reasons (a «Б» is health
    /// data), period marks, the summary sheets, correction requests: the director and the
    /// deputies (regulations §1, §5). Not the administrator: §1 gives them accounts, lists and
    /// the year's setup, «no marks». Teachers read their own groups' journals and the class
    /// teacher their class's (`journal::service::may_read`); parents and pupils only the diary.
    /// The table of who may open what is docs/ACCESS.md.
    pub fn can_read_every_journal(&self) -> bool {
        matches!(self.role, Role::Director | Role::Deputy)
    }

    /// Approve or refuse a teacher's request to change a period mark (J6: «only a deputy»
    /// changes it; the director may act as the approver too).
    pub fn can_decide_corrections(&self) -> bool {
        matches!(self.role, Role::Director | Role::Deputy)
    }

    /// Agree to a period mark's change (J6: «changing marks needs the director's agreement»,
    /// 003): the director alone. Whether the agreement is needed is the school's setting
    /// (`school.correction_needs_director`).
    pub fn can_agree_corrections(&self) -> bool {
        self.role == Role::Director
    }

    /// Whether the person opens journals at all: those who read every journal, and teachers
    /// (their own groups; the class teacher their class's). Pupils, parents and the
    /// administrator never do — their journal writes are refused before the form is read.
    pub fn opens_journals(&self) -> bool {
        self.can_read_every_journal() || matches!(self.role, Role::Teacher | Role::ClassTeacher)
    }

    /// Whether the audit page may show the values of an event (before, after, reason): events
    /// of journal data (marks, absences, period marks, corrections, lesson records, remarks,
    /// the risk group) only to those who read every journal; the administrator keeps the page
    /// and sees who changed what and when, not the marks.
    pub fn can_see_audit_values(&self, action: &str) -> bool {
        self.can_read_every_journal() || !is_journal_data(action)
    }

    /// See the whole school's figures (director, deputies, administrator).
    pub fn can_see_school_overview(&self) -> bool {
        matches!(
            self.role,
            Role::Director | Role::Deputy | Role::Administrator
        )
    }
}

/// Audit actions that carry journal data: marks and their values, absences (and their reasons,
/// health data), period marks, correction requests, what a teacher wrote at a lesson, remarks on
/// journals, the risk group.
pub fn is_journal_data(action: &str) -> bool {
    const PREFIXES: [&str; 8] = [
        "mark.",
        "gia_result.",
        "absence.",
        "period_mark.",
        "correction.",
        "journal_remark.",
        "risk.",
        "lesson.recorded",
    ];
    PREFIXES.iter().any(|p| action.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(role: Role) -> Access {
        Access {
            school_id: SchoolId(1),
            role,
            class_id: Some(1),
            timetable_editor: true,
        }
    }

    #[test]
    fn only_the_director_and_the_deputies_read_every_journal_not_the_administrator() {
        for role in Role::ALL {
            let expected = matches!(role, Role::Director | Role::Deputy);
            assert_eq!(access(role).can_read_every_journal(), expected, "{role}");
        }
    }

    #[test]
    fn j6_deputies_and_the_director_decide_corrections_and_only_the_director_agrees() {
        for role in Role::ALL {
            let a = access(role);
            assert_eq!(
                a.can_decide_corrections(),
                matches!(role, Role::Director | Role::Deputy),
                "{role}"
            );
            assert_eq!(a.can_agree_corrections(), role == Role::Director, "{role}");
        }
    }

    #[test]
    fn the_administrator_sees_who_changed_a_mark_but_not_its_value() {
        let admin = access(Role::Administrator);
        for action in [
            "mark.given",
            "mark.corrected",
            "mark.external",
            "absence.reason_set",
            "period_mark.set",
            "correction.requested",
            "lesson.recorded",
            "journal_remark.created",
            "risk.marked",
        ] {
            assert!(!admin.can_see_audit_values(action), "{action}");
            assert!(access(Role::Director).can_see_audit_values(action));
        }
        for action in ["account.created", "membership.granted", "lesson.moved"] {
            assert!(admin.can_see_audit_values(action), "{action}");
        }
    }

    #[test]
    fn every_role_round_trips_through_its_database_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("operator".parse::<Role>().is_err());
    }

    #[test]
    fn pupils_and_parents_cannot_manage_accounts_or_read_the_audit_trail() {
        for role in [Role::Pupil, Role::Parent, Role::Teacher, Role::ClassTeacher] {
            let access = Access {
                school_id: SchoolId(1),
                role,
                class_id: None,
                timetable_editor: true,
            };
            assert!(!access.can_manage_accounts(), "{role}");
            assert!(!access.can_edit_timetable(), "{role}");
            assert!(!access.can_read_audit(), "{role}");
        }
        let admin = Access {
            school_id: SchoolId(1),
            role: Role::Administrator,
            class_id: None,
            timetable_editor: false,
        };
        assert!(admin.can_manage_accounts() && admin.can_read_audit());
        assert!(
            !admin.can_edit_timetable(),
            "only with the timetable permission"
        );
        assert!(
            Access {
                timetable_editor: true,
                ..admin
            }
            .can_edit_timetable()
        );
    }
}
