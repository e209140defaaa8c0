//! The web layer's one error type. Clients see a short, uniform page; the
//! details of server errors go to the log only.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Unknown, foreign and forbidden things all look the same from outside.
    #[error("not found")]
    NotFound,
    /// No live session: the visitor must open their link again.
    #[error("signed out")]
    SignedOut,
    /// No live session, in the portal of a business we know: its page says
    /// so, with its sign-in page. `ended` when the visitor had a session.
    #[error("signed out of a business's portal")]
    SignInTo { tenant: Box<portico_core::model::Tenant>, ended: bool },
    /// No live staff session: the console sends them to sign in.
    #[error("staff signed out")]
    StaffSignedOut,
    #[error("the form has expired; reload the page and try again")]
    BadCsrf,
    #[error("{0}")]
    BadRequest(String),
    /// A staff member's role does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// Too many attempts at a rate-limited door.
    #[error("too many attempts")]
    TooManyAttempts,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<portico_data::DbError> for WebError {
    fn from(error: portico_data::DbError) -> Self {
        WebError::Internal(error.into())
    }
}

impl From<portico_services::rate_limit::LimitError> for WebError {
    fn from(error: portico_services::rate_limit::LimitError) -> Self {
        use portico_services::rate_limit::LimitError;
        match error {
            LimitError::TooManyAttempts => WebError::TooManyAttempts,
            LimitError::Db(error) => error.into(),
        }
    }
}

/// A refusal reaching here was not shown where it arose: the request is
/// answered as a bad one, with the refusal's words.
impl From<portico_services::jobs::JobError> for WebError {
    fn from(error: portico_services::jobs::JobError) -> Self {
        use portico_services::jobs::JobError;
        match error {
            JobError::Refused(refusal) => WebError::BadRequest(refusal.to_string()),
            JobError::NotFound(_) => WebError::NotFound,
            JobError::Db(error) => error.into(),
            JobError::Other(error) => WebError::Internal(error),
        }
    }
}

impl From<portico_services::documents::DocumentError> for WebError {
    fn from(error: portico_services::documents::DocumentError) -> Self {
        use portico_services::documents::DocumentError;
        match error {
            DocumentError::Refused(refusal) => WebError::BadRequest(refusal.to_string()),
            DocumentError::Db(error) => error.into(),
            DocumentError::Files(error) => WebError::Internal(error.into()),
            DocumentError::Other(error) => WebError::Internal(error),
        }
    }
}

impl From<portico_services::add_ons::AddOnError> for WebError {
    fn from(error: portico_services::add_ons::AddOnError) -> Self {
        use portico_services::add_ons::AddOnError;
        match error {
            AddOnError::NotFound => WebError::NotFound,
            AddOnError::Db(error) => error.into(),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::StaffSignedOut = self {
            return axum::response::Redirect::to("/staff/login").into_response();
        }
        if let WebError::SignInTo { tenant, ended } = &self {
            let page = match ended {
                true => crate::view::DeadEnd::new(
                    "Your session has ended",
                    "For your security you were signed out. Open the portal link from your e-mail again, or sign in with your e-mail address.",
                ),
                false => crate::view::DeadEnd::new(
                    "Please sign in",
                    "This page is for the people on the job. Open the portal link from your e-mail, or sign in with your e-mail address.",
                ),
            };
            return (StatusCode::UNAUTHORIZED, Html(crate::view::dead_end_page(tenant, page))).into_response();
        }
        let (status, title, message) = match &self {
            WebError::StaffSignedOut | WebError::SignInTo { .. } => unreachable!("answered above"),
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "This link is not valid. It may have been mistyped or replaced by a newer one; ask the business that sent it for a fresh link.".to_string(),
            ),
            WebError::SignedOut => (
                StatusCode::UNAUTHORIZED,
                "Please open your link again",
                "Your session has ended. Open the portal link from your e-mail to continue.".to_string(),
            ),
            WebError::BadCsrf => (StatusCode::FORBIDDEN, "Please try again", self.to_string()),
            WebError::BadRequest(why) => (StatusCode::BAD_REQUEST, "Something is not right", why.clone()),
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not allowed for your role",
                "Your staff role does not allow this. Ask the account owner.".to_string(),
            ),
            WebError::TooManyAttempts => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                "There have been too many attempts. Please wait 15 minutes and try again.".to_string(),
            ),
            WebError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "We could not complete this request. Please try again in a moment.".to_string(),
                )
            }
        };
        (status, Html(crate::view::error_page(title, &message))).into_response()
    }
}
