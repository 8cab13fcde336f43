//! Which school's rows a database connection may see: the second wall behind the `SchoolId` in
//! every query (row-level security, migration `row_security`).
//!
//! The scope is a task-local value; the application pool (`db::connect`) sets the connection's
//! `zhurnal.school` / `zhurnal.all_schools` from it on every acquire. The web layer runs every
//! request inside [`school`] (a member's request) or [`nobody`] (before a school is chosen).
//! Work across schools names itself with [`all_schools`]: the command line, the mail worker, a
//! few places in a request. A task with no scope — a task spawned without one, a connection made
//! without this pool's hook — sees no walled row at all (fail closed).

use std::future::Future;

use crate::tenancy::SchoolId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One school's rows.
    School(SchoolId),
    /// Every school's rows (named, minimal places only: see [`all_schools`]).
    AllSchools,
    /// No walled row.
    Nobody,
}

tokio::task_local! {
    static SCOPE: Scope;
}

/// The scope of the running task: outside any scope, no school (fail closed).
pub fn current() -> Scope {
    SCOPE.try_with(|s| *s).unwrap_or(Scope::Nobody)
}

/// Runs `fut` seeing only `school`'s rows.
pub async fn school<F: Future>(school: SchoolId, fut: F) -> F::Output {
    SCOPE.scope(Scope::School(school), fut).await
}

/// Runs `fut` seeing no walled row.
pub async fn nobody<F: Future>(fut: F) -> F::Output {
    SCOPE.scope(Scope::Nobody, fut).await
}

/// Runs `fut` seeing every school's rows. Each caller says why.
pub async fn all_schools<F: Future>(fut: F) -> F::Output {
    SCOPE.scope(Scope::AllSchools, fut).await
}

/// The values of `zhurnal.school` and `zhurnal.all_schools` for a scope.
pub fn settings(scope: Scope) -> (String, &'static str) {
    match scope {
        Scope::School(id) => (id.0.to_string(), "off"),
        Scope::AllSchools => (String::new(), "on"),
        Scope::Nobody => (String::new(), "off"),
    }
}

/// Sets the connection's settings to the running task's scope.
pub async fn apply(conn: &mut sqlx::PgConnection) -> sqlx::Result<()> {
    let (school, all) = settings(current());
    sqlx::query("SELECT set_config('zhurnal.school', $1, false), set_config('zhurnal.all_schools', $2, false)")
        .bind(school)
        .bind(all)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scope_holds_inside_its_future_only() {
        assert_eq!(current(), Scope::Nobody);
        assert_eq!(all_schools(async { current() }).await, Scope::AllSchools);
        let inner = school(SchoolId(7), async { current() }).await;
        assert_eq!(inner, Scope::School(SchoolId(7)));
        assert_eq!(nobody(async { current() }).await, Scope::Nobody);
        assert_eq!(
            settings(Scope::School(SchoolId(7))),
            ("7".to_string(), "off")
        );
        assert_eq!(settings(Scope::Nobody), (String::new(), "off"));
        assert_eq!(settings(Scope::AllSchools), (String::new(), "on"));
    }
}
