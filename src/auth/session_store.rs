//! The tower-sessions store on PostgreSQL. The row key is a SHA-256 of the session id (a copy of
//! the table does not give sessions away) and the row carries the account id, so that ending
//! every other session of an account is one `DELETE`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::keys;

#[derive(Clone, Debug)]
pub struct PgSessionStore {
    pool: PgPool,
}

impl PgSessionStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Deletes the expired sessions (an expired one is never loaded, but its row would stay);
    /// returns how many went.
    pub async fn delete_expired(&self) -> sqlx::Result<u64> {
        let done = sqlx::query!("DELETE FROM session WHERE expires_at < now()")
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// The session alone (Citus: see `load`); the person is then read by `web::extract`.
    async fn load_alone(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query!(
            "SELECT data, expires_at FROM session WHERE id_hash = $1 AND expires_at > now()",
            id_hash(id)
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|row| record(id, row.data, row.expires_at))
            .transpose()
    }

    /// Deletes expired sessions every ten minutes, for ever.
    pub fn spawn_cleanup(&self) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
            loop {
                tick.tick().await;
                if let Err(e) = store.delete_expired().await {
                    tracing::warn!(error = %e, "cannot delete expired sessions");
                }
            }
        })
    }
}

/// The stored key of a session id.
pub fn id_hash(id: &Id) -> String {
    let digest = Sha256::digest(id.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A short reference to a session for the audit trail.
pub fn session_ref(id: &Id) -> String {
    id_hash(id)[..16].to_string()
}

fn expiry(record: &Record) -> DateTime<Utc> {
    DateTime::from_timestamp(record.expiry_date.unix_timestamp(), 0).unwrap_or_else(Utc::now)
}

fn account_of(record: &Record) -> Option<i64> {
    record.data.get(keys::ACCOUNT_ID).and_then(|v| v.as_i64())
}

/// What is stored of a session: its data without the person read with it (`keys::PERSON`).
fn stored_data(record: &Record) -> session_store::Result<serde_json::Value> {
    let mut data = record.data.clone();
    data.remove(keys::PERSON);
    serde_json::to_value(&data).map_err(|e| session_store::Error::Encode(e.to_string()))
}

/// A stored session as tower-sessions' record; a person found in the row is not kept.
fn record(
    id: &Id,
    data: serde_json::Value,
    expires_at: DateTime<Utc>,
) -> session_store::Result<Record> {
    let mut data: std::collections::HashMap<String, serde_json::Value> =
        serde_json::from_value(data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
    data.remove(keys::PERSON);
    let expiry_date = time::OffsetDateTime::from_unix_timestamp(expires_at.timestamp())
        .map_err(|e| session_store::Error::Decode(e.to_string()))?;
    Ok(Record {
        id: *id,
        data,
        expiry_date,
    })
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = stored_data(record)?;
        loop {
            let inserted = sqlx::query!(
                "INSERT INTO session (id_hash, account_id, data, expires_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (id_hash) DO NOTHING",
                id_hash(&record.id),
                account_of(record),
                data,
                expiry(record)
            )
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = stored_data(record)?;
        // `updated_at` from the row proposed (its default, now()): Citus refuses a function
        // that is not immutable in DO UPDATE SET, even on the coordinator's own table.
        sqlx::query!(
            "INSERT INTO session (id_hash, account_id, data, expires_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (id_hash) DO UPDATE
             SET account_id = EXCLUDED.account_id, data = EXCLUDED.data,
                 expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at",
            id_hash(&record.id),
            account_of(record),
            data,
            expiry(record)
        )
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    /// The session and, when it is signed in, its person in the same statement: the session's
    /// account and the membership its data names, read by `zhurnal_current_member` as
    /// `auth::repo::current` reads them — one round trip a page instead of two. The person goes
    /// into the record as `keys::PERSON` for this request (`web::extract`), and is never stored
    /// (`stored_data`). On a Citus coordinator the session is read alone and the person apart.
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        if crate::db::is_citus() {
            return self.load_alone(id).await;
        }
        let row = sqlx::query!(
            r#"SELECT s.data, s.expires_at, s.account_id, to_jsonb(p) AS person
               FROM session s
               LEFT JOIN LATERAL zhurnal_current_member(
                   s.account_id, (s.data -> 'membership' ->> 0)::bigint,
                   (s.data -> 'membership' ->> 1)::bigint, $2) p ON s.account_id IS NOT NULL
               WHERE s.id_hash = $1 AND s.expires_at > now()"#,
            id_hash(id),
            crate::compromised::LOCKED_HASH
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let mut record = record(id, row.data, row.expires_at)?;
        if row.account_id.is_some() && account_of(&record) == row.account_id {
            record.data.insert(
                keys::PERSON.to_string(),
                row.person.unwrap_or(serde_json::Value::Null),
            );
        }
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query!("DELETE FROM session WHERE id_hash = $1", id_hash(id))
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
