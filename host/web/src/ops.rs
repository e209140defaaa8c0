//! Operational endpoints and static assets.

use crate::app::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/static/portico.css", get(stylesheet))
        .route("/static/favicon.svg", get(favicon))
        .route("/t/{slug}/brand.css", get(brand_css))
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::error!(%error, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], crate::view::STYLESHEET)
}

async fn favicon() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], include_str!("../static/favicon.svg"))
}

/// A colour safe to put in CSS: `#rgb` or `#rrggbb`, else the default.
fn css_color(value: &str, fallback: &'static str) -> String {
    let hex = value.strip_prefix('#').unwrap_or("");
    if matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        value.to_string()
    } else {
        fallback.to_string()
    }
}

async fn brand_css(State(state): State<AppState>, Path(slug): Path<String>) -> impl IntoResponse {
    let tenant = state.db.tenant_by_slug(&slug).await.ok().flatten();
    let css = match tenant {
        Some(t) => format!(
            ":root {{ --brand: {}; --accent: {}; }}\n",
            css_color(&t.brand_color, "#1f5f8b"),
            css_color(&t.accent_color, "#f2a541")
        ),
        None => String::new(),
    };
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], css)
}
