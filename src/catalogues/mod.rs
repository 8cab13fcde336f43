//! A school's catalogues: subjects with their grading scales, rooms, work types (J4, J5).

pub mod repo;
pub mod service;
