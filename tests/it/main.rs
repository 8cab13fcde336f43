//! Integration tests: the real server over real HTTP on a real PostgreSQL (a private cluster
//! started by the harness, or `DATABASE_URL`). One test binary, so the cluster starts once.

mod awkward;
mod helpers;
mod smtp;
mod tables;

mod imports;
mod journal;

mod accounts;
mod archive;
mod audit;
mod audit_chain;
mod auth;
mod backup;
mod browser;
mod browser_grid;
mod browser_suite;
mod catalogues;
mod class_reports;
mod cluster;
mod compromised;
mod connections;
mod control_centre;
mod corrections;
mod curriculum;
mod demo;
mod diary;
mod distributable;
mod gia;
mod hostile;
mod isolation;
mod journal_control;
mod mail;
mod messages;
mod multi_server;
mod outage;
mod pages;
mod planned_lessons;
mod plans;
mod pupils;
mod readiness;
mod region;
mod replica;
mod report_activity;
mod report_programme;
mod report_pupils;
mod report_quality;
mod reports;
mod row_security;
mod settings;
mod teacher_absence;
mod timetable;
mod timetable_groups;
mod year_end;
mod year_setup;
