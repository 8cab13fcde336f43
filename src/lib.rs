//! «Журнал» — the electronic class journal and diary for Russian schools.
//!
//! A request travels one way: `web` (extract the user and school, parse the form, render the
//! page) → `<area>::service` (transaction, permission, rules, write, audit) → `rules` (pure
//! decisions) → `<area>::repo` (SQL, always given a `SchoolId`). See docs/ARCHITECTURE.md.

/// mimalloc instead of glibc's malloc: glibc keeps a heap arena per worker thread and gives freed
/// pages back to the system rarely, so a server that once rendered big pages under load stayed at
/// several hundred MB; mimalloc returns freed memory and keeps the resident size near what is in
/// use (`zhurnal bench` reports the peak under a concurrent load).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod accounts;
pub mod archive;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod backup;
pub mod bench;
pub mod catalogues;
pub mod cli;
pub mod clock;
pub mod compromised;
pub mod config;
pub mod curriculum;
pub mod db;
pub mod demo;
pub mod diary;
pub mod error;
pub mod exports;
pub mod gia;
pub mod imports;
pub mod input;
pub mod journal;
pub mod mail;
pub mod messages;
pub mod plans;
pub mod pupils;
pub mod readiness;
pub mod reports;
pub mod rules;
pub mod school_year;
pub mod startup;
pub mod telemetry;
pub mod tenancy;
pub mod timetable;
pub mod web;
