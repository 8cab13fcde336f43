//! `/healthz` (liveness: is the server up and does the database answer — cheap; with a read
//! replica, its state and lag) and `/readyz`
//! (readiness: does the database accept a write, is there room on the private cluster's disk).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let (status, mut body) = match crate::db::ping(state.pool.primary()).await {
        Ok(_) => (StatusCode::OK, json!({"status": "ok", "database": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "degraded", "database": "unavailable"}),
            )
        }
    };
    // With a read replica: what its monitor last saw (at most a second old; no query here).
    // The service's own status stays the primary's: without the replica, reads go there.
    if let Some(replica) = state.pool.replica() {
        let seen = replica.status();
        body["replica"] = json!({
            "status": seen.health.as_str(),
            "reads": if seen.health == crate::db::replica::Health::Serving { "replica" } else { "primary" },
            "lag_ms": seen.lag_ms,
            "lag_bytes": seen.lag_bytes,
        });
    }
    (status, Json(body))
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    // The private cluster's disk is ours to watch; an external server's is not visible here.
    let data_dir = state
        .config
        .database_url
        .is_none()
        .then(|| state.config.data_dir.clone());
    let found = crate::db::readiness::check(state.pool.primary(), data_dir.as_deref()).await;
    let disk = found.disk.map(|d| {
        json!({
            "status": if d.enough() { "ok" } else { "full" },
            "free_mb": d.free_bytes / (1024 * 1024),
            "total_mb": d.total_bytes / (1024 * 1024),
        })
    });
    let body = json!({
        "status": if found.ready() { "ready" } else { "not_ready" },
        "writes": if found.writes { "ok" } else { "failed" },
        "disk": disk,
    });
    let status = if found.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}
