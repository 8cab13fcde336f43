//! The school year: academic years, classes, pupils and their enrolment. (Periods, subjects,
//! groups, timetable and the rest arrive with the school-year setup.)

pub mod calendar;
pub mod orders;
pub mod repo;
pub mod service;
pub mod year_end;
