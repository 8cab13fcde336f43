//! Logging: `RUST_LOG` filters (default `info,sqlx=warn,tower_http=info`), one line per event on
//! stderr.
//!
//! The filter is `Targets` (per target and level), not `EnvFilter`: `EnvFilter` takes a lock and
//! looks the span up on every enter and exit of every span, and a request's span is entered on
//! every poll of its future — a page reading 66 000 rows spent a third of the server's CPU there
//! (`perf`, the control start page under load). `RUST_LOG` keeps its syntax for targets and
//! levels (`info,zhurnal=debug`); span-field directives are not supported and fall back to the
//! default with a warning.

use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

const DEFAULT: &str = "info,sqlx=warn,tower_http=info";

pub fn init() {
    let asked = std::env::var("RUST_LOG").ok();
    let (filter, refused) = match asked.as_deref().map(str::parse::<Targets>) {
        Some(Ok(filter)) => (filter, None),
        Some(Err(e)) => (DEFAULT.parse().unwrap_or_default(), Some(e.to_string())),
        None => (DEFAULT.parse().unwrap_or_default(), None),
    };
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_target(false))
        .with(filter)
        .try_init();
    if let (Some(asked), Some(error)) = (asked, refused) {
        tracing::warn!(%asked, %error, "RUST_LOG not understood; the default filter is used");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn the_default_filter_logs_the_products_info_and_only_the_database_drivers_warnings() {
        let filter: Targets = DEFAULT.parse().expect("the default filter parses");
        assert!(filter.would_enable("zhurnal::web", &Level::INFO));
        assert!(!filter.would_enable("zhurnal::web", &Level::DEBUG));
        assert!(filter.would_enable("sqlx::query", &Level::WARN));
        assert!(!filter.would_enable("sqlx::query", &Level::INFO));
        assert!(filter.would_enable("tower_http::trace", &Level::INFO));
    }
}
