//! Schools (the tenants) and the `SchoolId` every tenant query is given.

pub mod repo;
pub mod service;
pub mod settings;

use serde::{Deserialize, Serialize};

/// The id of a school. Every repo function over tenant data takes one.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(transparent)]
pub struct SchoolId(pub i64);

impl std::fmt::Display for SchoolId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A school as pages show it.
#[derive(Clone, Debug, Serialize)]
pub struct School {
    pub id: SchoolId,
    pub name: String,
    pub short_name: String,
    pub slug: String,
    pub time_zone: String,
}
