//! The OpenAPI document, derived from the handlers' `#[utoipa::path]`
//! attributes and the types they read and answer; served at
//! `/api/openapi.json` and checked against the running API by schemathesis
//! (`.ci/api-contract`).

use super::views;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::LazyLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi};
use views::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portico API",
        version = "1.0.0",
        description = "Jobs of a Portico business, for businesses whose jobs live in another system. Authenticate with one of the business's API keys: `Authorization: Bearer ptk_…` (created by an owner at /staff/api, with scopes jobs:read and/or jobs:write).",
    ),
    servers((url = "/")),
    security(("apiKey" = [])),
    modifiers(&BearerKey),
    paths(
        super::jobs::list,
        super::jobs::create,
        super::jobs::read,
        super::jobs::update,
        super::jobs::move_stage,
        super::job_parts::add_person,
        super::job_parts::change_person,
        super::job_parts::remove_person,
        super::job_parts::add_service,
        super::job_parts::remove_service,
        super::job_parts::invoices,
        super::job_parts::estimates,
        super::job_parts::invoice,
        super::job_parts::add_line,
        super::job_parts::void,
        super::job_parts::documents,
        super::job_parts::upload,
        super::job_parts::publish,
        super::add_ons::list,
        super::add_ons::approve,
        super::add_ons::decline,
    ),
    components(schemas(views::RoleName, views::ErrorBody))
)]
struct ApiDoc;

/// The scheme every operation requires: one of the business's API keys.
struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("An API key, ptk_…")).build();
        components.add_security_scheme("apiKey", SecurityScheme::Http(scheme));
    }
}

/// The document as JSON, built once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| ApiDoc::openapi().to_pretty_json().expect("the OpenAPI document serialises"));

pub(super) async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT.as_str())
}

/// Ids in paths: what the API's ids are made of (UUIDs and the like).
macro_rules! path_ids {
    ($($(#[$meta:meta])* $name:ident { $($field:ident),+ })+) => {$(
        $(#[$meta])*
        #[derive(IntoParams)]
        #[into_params(parameter_in = Path)]
        #[allow(dead_code)]
        pub(super) struct $name {
            $(
                #[param(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_-]+$")]
                $field: String,
            )+
        }
    )+};
}

path_ids! {
    /// `/jobs/{job_id}`
    JobPath { job_id }
    /// `/jobs/{job_id}/people/{person_id}`
    PersonPath { job_id, person_id }
    /// `/jobs/{job_id}/services/{service_id}`
    ServicePath { job_id, service_id }
    /// `/jobs/{job_id}/invoices/{invoice_id}/…`
    InvoicePath { job_id, invoice_id }
    /// `/jobs/{job_id}/documents/{document_id}/…`
    DocumentPath { job_id, document_id }
    /// `/jobs/{job_id}/add-ons/{request_id}/…`
    AddOnPath { job_id, request_id }
}

/// The answers of an operation that needs a key with `jobs:read`.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub(super) enum ReadKey {
    /// No, an unknown or a revoked API key
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The key lacks the jobs:read scope
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// The answers of an operation that needs a key with `jobs:write`.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub(super) enum WriteKey {
    /// No, an unknown or a revoked API key
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The key lacks the jobs:write scope
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// A body that is not what the operation takes.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub(super) enum BadBody {
    /// The body is not what this operation takes (malformed JSON, unknown or missing fields)
    #[response(status = 400)]
    BadRequest(ErrorBody),
}

/// An `Idempotency-Key` that cannot be honoured.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub(super) enum Retried {
    /// The Idempotency-Key was used for another request, or is still being answered
    #[response(status = 409)]
    Conflict(ErrorBody),
}

/// The header that makes a create safe to retry.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub(super) struct Idempotency {
    /// Retrying a request with the same key returns the first answer and creates nothing again.
    #[param(rename = "Idempotency-Key", required = false, min_length = 1, max_length = 200, pattern = r"^[\x21-\x7e]+$")]
    key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_route_with_its_schemas() {
        let document: serde_json::Value = serde_json::from_str(&DOCUMENT).expect("valid JSON");
        assert_eq!(document["openapi"], "3.1.0");
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
        let schemas = &document["components"]["schemas"];
        assert_eq!(schemas["Role"]["enum"], serde_json::json!(["client", "co-client", "buyer-agent", "listing-agent", "other"]));
        assert_eq!(schemas["Job"]["additionalProperties"], false, "answers say exactly what they hold");
        assert!(schemas["Error"].is_object() && schemas["NewJob"].is_object());
    }
}
