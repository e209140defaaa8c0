//! What the business e-mails people who never chose (owners):
//! each kind of notification on or off by default.

use super::roles::Ability;
use crate::app::AppState;
use crate::error::WebError;
use crate::sessions::StaffSession;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use crate::portal::notifications::ticked_kinds;

pub fn router() -> Router<AppState> {
    Router::new().route("/staff/notifications", get(page).post(save))
}

async fn page(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::ManageSettings)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let defaults = state.notifications.defaults(&tenant).await?;
    let data = serde_json::json!({ "choices": defaults });
    super::console_page(&state, jar, session, "staff_notifications", "Notifications", data).await
}

/// The form: `csrf`, and `on` once per kind ticked.
async fn save(State(state): State<AppState>, session: StaffSession, Form(form): Form<Vec<(String, String)>>) -> Result<Response, WebError> {
    crate::csrf::check_session(crate::csrf::in_pairs(&form), &session.row.csrf_token)?;
    session.require(Ability::ManageSettings)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let on = ticked_kinds(&form, "on");
    state.notifications.set_defaults(&tenant, &on, &super::actor(&session)).await?;
    super::notice(&state, &session, "success", "Saved. People who have not chosen for themselves get these e-mails from now on.").await?;
    Ok(Redirect::to("/staff/notifications").into_response())
}
