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
    static PLANNING: Planning;
    static READS: Reads;
}

/// Which server a task's reads go to when a streaming replica is configured
/// (`ZHURNAL_READ_DATABASE_URL`, `db::replica`): `db::replica::Pools` dereferences to the
/// replica's pool inside [`replica_reads`], to the primary's everywhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// The primary: every write, and every read that must see the latest writes. The default.
    Primary,
    /// The streaming replica: set by the web layer for the pages of the replica's route class
    /// (`web::reads`) when the replica is up, not too far behind, and has replayed this
    /// browser's own last write.
    Replica,
}

/// The server the running task reads from: the primary unless the task asked for the replica.
pub fn reads() -> Reads {
    READS.try_with(|r| *r).unwrap_or(Reads::Primary)
}

/// Runs `fut` reading from the replica (see [`Reads::Replica`]).
pub async fn replica_reads<F: Future>(fut: F) -> F::Output {
    READS.scope(Reads::Replica, fut).await
}

/// How PostgreSQL plans a task's statements (its `plan_cache_mode`, set with the scope on every
/// acquire, in the same round trip). On a Citus coordinator always per call (`db::is_citus`):
/// Citus cannot plan generically a statement it splits, and the workers plan the routed parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planning {
    /// Every statement planned for its own values (`force_custom_plan`). The reports' queries
    /// take optional filters (`$6::bigint IS NULL OR c.id = $6`) and whole-school arrays; a
    /// generic plan made without the values was up to fifty times slower for them (the
    /// timeliness report: 95 ms with its values, 4.5 s generic). The default.
    PerCall,
    /// One generic plan per prepared statement and connection, made once and kept
    /// (`force_generic_plan`). For the pages read all day (the journal, the lesson, the diary),
    /// whose statements take plain keys: the diary week's statement
    /// took 8–13 ms to plan and 2.4 ms to run with its values, 1.8 ms to run generic. PostgreSQL's
    /// own choice (`auto`) kept planning it: a generic plan's estimate over an unknown array looks
    /// dearer than the custom ones.
    Cached,
}

/// The planning of the running task: per call unless the task asked for cached plans.
pub fn planning() -> Planning {
    PLANNING.try_with(|p| *p).unwrap_or(Planning::PerCall)
}

/// Runs `fut` with PostgreSQL's cached plans (see [`Planning::Cached`]).
pub async fn cached_plans<F: Future>(fut: F) -> F::Output {
    PLANNING.scope(Planning::Cached, fut).await
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

/// Sets the connection's settings to the running task's scope and planning.
pub async fn apply(conn: &mut sqlx::PgConnection) -> sqlx::Result<()> {
    let (school, all) = settings(current());
    let plans = match planning() {
        Planning::Cached if !super::is_citus() => "force_generic_plan",
        _ => "force_custom_plan",
    };
    sqlx::query(
        "SELECT set_config('zhurnal.school', $1, false), set_config('zhurnal.all_schools', $2, false),
                set_config('plan_cache_mode', $3, false)",
    )
    .bind(school)
    .bind(all)
    .bind(plans)
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
        assert_eq!(planning(), Planning::PerCall);
        assert_eq!(cached_plans(async { planning() }).await, Planning::Cached);
        assert_eq!(reads(), Reads::Primary);
        assert_eq!(replica_reads(async { reads() }).await, Reads::Replica);
    }
}
