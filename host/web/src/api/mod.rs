//! The REST API (JSON) for businesses whose jobs live in another system:
//! `Authorization: Bearer ptk_…` with one of the business's API keys (hashed,
//! scoped, revocable; see `staff::api_keys`), cursor pagination, and
//! `Idempotency-Key` on creates. The OpenAPI document is derived from the
//! handlers and the types they read and answer (`openapi`, `views`), served
//! at `/api/openapi.json` and checked against the API by schemathesis in CI.

mod add_ons;
mod auth;
mod error;
mod idempotency;
mod job_parts;
mod jobs;
mod openapi;
mod views;

pub use auth::ApiCaller;
pub use portico_core::api_keys::Scope;
pub use error::ApiError;

use crate::app::AppState;
use axum::routing::get;
use axum::Router;

/// A JSON object read into `T`, or 400 saying what the body should have
/// been. Only an object: serde would also read a struct from an array of its
/// fields in order, which no client means.
fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    let refused = |reason: String| ApiError::BadRequest(format!("The body is not {what}: {reason}"));
    if body.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return Err(refused("a JSON object is expected".into()));
    }
    // Read straight from the bytes (not through a `Value`), so that a field
    // sent twice is refused rather than the last one kept.
    serde_json::from_slice(body).map_err(|e| refused(e.to_string()))
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(openapi::serve)).merge(jobs::router()).merge(job_parts::router()).merge(add_ons::router())
}
