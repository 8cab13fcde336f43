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

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = serde_json::to_value(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
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
        let data = serde_json::to_value(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
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

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query!(
            "SELECT data, expires_at FROM session WHERE id_hash = $1 AND expires_at > now()",
            id_hash(id)
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data = serde_json::from_value(row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expires_at.timestamp())
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query!("DELETE FROM session WHERE id_hash = $1", id_hash(id))
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
