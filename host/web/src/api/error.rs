//! The API's one error type: a JSON body `{"error": {"code", "message"}}`
//! with the matching status. Server errors are logged; clients get a generic
//! message.

use super::views::{ErrorBody, ErrorCode, ErrorDetail};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Send an API key as `Authorization: Bearer ptk_…`; this one is missing, unknown or revoked.")]
    Unauthorized,
    #[error("This API key does not have the `{0}` scope.")]
    Forbidden(&'static str),
    #[error("No such {0}.")]
    NotFound(&'static str),
    /// The request is malformed (a bad cursor, unreadable JSON).
    #[error("{0}")]
    BadRequest(String),
    /// The request is well-formed but its content is wrong; one message per problem.
    #[error("{}", .0.join(" "))]
    Invalid(Vec<String>),
    /// The Idempotency-Key was used for another request, or is still being answered.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<portico_data::DbError> for ApiError {
    fn from(error: portico_data::DbError) -> Self {
        ApiError::Internal(error.into())
    }
}

impl From<portico_services::jobs::JobError> for ApiError {
    fn from(error: portico_services::jobs::JobError) -> Self {
        use portico_services::jobs::JobError;
        match error {
            JobError::Refused(refusal) => ApiError::Invalid(vec![refusal.to_string()]),
            JobError::NotFound(what) => ApiError::NotFound(what),
            JobError::Db(error) => error.into(),
            JobError::Other(error) => ApiError::Internal(error),
        }
    }
}

impl From<portico_services::documents::DocumentError> for ApiError {
    fn from(error: portico_services::documents::DocumentError) -> Self {
        use portico_services::documents::DocumentError;
        match error {
            DocumentError::Refused(refusal) => ApiError::Invalid(vec![refusal.to_string()]),
            DocumentError::Db(error) => error.into(),
            DocumentError::Files(error) => ApiError::Internal(error.into()),
            DocumentError::Other(error) => ApiError::Internal(error),
        }
    }
}

impl From<portico_services::add_ons::AddOnError> for ApiError {
    fn from(error: portico_services::add_ons::AddOnError) -> Self {
        use portico_services::add_ons::AddOnError;
        match error {
            AddOnError::NotFound => ApiError::NotFound("add-on request"),
            AddOnError::Db(error) => error.into(),
        }
    }
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Invalid),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            ApiError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "API request failed");
                "Something went wrong on our side; try again in a moment.".to_string()
            }
            other => other.to_string(),
        };
        let details = match self {
            ApiError::Invalid(problems) => problems,
            _ => Vec::new(),
        };
        let mut response = (status, Json(ErrorBody { error: ErrorDetail { code, message, details } })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}
