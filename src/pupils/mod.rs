//! Classes and their pupils: class lists, class teachers, pupils' records, their parents with
//! consent to personal-data processing, and pupil movement (enrolment, transfer, withdrawal) with
//! its history.

pub mod repo;
pub mod service;
