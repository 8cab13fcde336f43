//! The weekly timetable template and the dated lessons generated from it.

pub mod carry;
pub mod repo;
pub mod service;

pub const WEEKDAYS: [&str; 6] = [
    "Понедельник",
    "Вторник",
    "Среда",
    "Четверг",
    "Пятница",
    "Суббота",
];
