//! The school's regulations as pure functions: given settings, facts and `now`, they decide, and
//! each decision names the clause it comes from. They never read the system clock.

pub mod calendar;
pub mod class_totals;
pub mod gia;
pub mod grading;
pub mod journal;
pub mod load;
pub mod login;
