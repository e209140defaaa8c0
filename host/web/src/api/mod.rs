//! The REST API (JSON) for businesses whose jobs live in another system:
//! `Authorization: Bearer ptk_…` with one of the business's API keys (hashed,
//! scoped, revocable; see `staff::api_keys`), cursor pagination, and
//! `Idempotency-Key` on creates. The OpenAPI document is served at
//! `/api/openapi.json` and checked against the API by schemathesis in CI.

mod add_ons;
mod auth;
mod error;
mod idempotency;
mod job_parts;
mod jobs;

pub use auth::ApiCaller;
pub use portico_core::api_keys::Scope;
pub use error::ApiError;


use crate::app::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// The OpenAPI document, written by hand next to the handlers it describes.
const OPENAPI: &str = include_str!("openapi.json");

pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(openapi)).merge(jobs::router()).merge(job_parts::router()).merge(add_ons::router())
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_openapi_document_is_json_with_every_route() {
        let document: serde_json::Value = serde_json::from_str(super::OPENAPI).expect("valid JSON");
        assert_eq!(document["openapi"], "3.0.3");
        for path in [
            "/api/v1/jobs",
            "/api/v1/jobs/{job_id}",
            "/api/v1/jobs/{job_id}/people",
            "/api/v1/jobs/{job_id}/people/{person_id}",
            "/api/v1/jobs/{job_id}/services",
            "/api/v1/jobs/{job_id}/services/{service_id}",
            "/api/v1/jobs/{job_id}/invoices",
            "/api/v1/jobs/{job_id}/invoices/{invoice_id}/lines",
            "/api/v1/jobs/{job_id}/invoices/{invoice_id}/void",
            "/api/v1/jobs/{job_id}/documents",
            "/api/v1/jobs/{job_id}/documents/{document_id}/publish",
            "/api/v1/jobs/{job_id}/add-ons",
            "/api/v1/jobs/{job_id}/add-ons/{request_id}/approve",
            "/api/v1/jobs/{job_id}/add-ons/{request_id}/decline",
        ] {
            assert!(document["paths"][path].is_object(), "{path} documented");
        }
    }
}
