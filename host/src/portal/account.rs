//! A client's own sessions: see where they are signed in, revoke any of them,
//! and sign out.

use crate::app::AppState;
use crate::csrf::{check_session, CsrfForm};
use crate::error::WebError;
use crate::plugins::sanitize::{clamp, Formats as _};
use crate::sessions::{keep_alive, PortalSession, COOKIE};
use crate::view::TenantFormats;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar};

/// `GET /account/sessions`
pub async fn sessions(State(state): State<AppState>, jar: CookieJar, session: PortalSession) -> Result<Response, WebError> {
    let tenant_id = &session.row.tenant_id;
    let tenant = state.db.tenant(tenant_id).await?.ok_or(WebError::NotFound)?;
    let formats = TenantFormats::new(&tenant);
    let listed: Vec<serde_json::Value> = state
        .db
        .contact_sessions(tenant_id, &session.contact_id)
        .await?
        .into_iter()
        .map(|s| {
            serde_json::json!({
                "id": s.id,
                "device": if s.user_agent.is_empty() { "Unknown browser".to_string() } else { clamp(&s.user_agent, 90) },
                "ip": s.ip,
                "signed_in": formats.moment(s.created_at),
                "last_used": formats.moment(s.last_seen_at),
                "current": s.id == session.row.id,
            })
        })
        .collect();
    let body = crate::view::render(
        "sessions",
        &serde_json::json!({
            "title": format!("Your sessions · {}", tenant.name),
            "brand_css": format!("/t/{}/brand.css", tenant.slug),
            "tenant": { "name": tenant.name },
            "viewer": { "name": session.name },
            "back": "/account",
            "csrf": session.row.csrf_token,
            "sessions": listed,
        }),
    )?;
    Ok((keep_alive(jar, session.refreshed), Html(body)).into_response())
}

/// `POST /account/sessions/{id}/revoke`
pub async fn revoke(
    State(state): State<AppState>,
    session: PortalSession,
    Path(session_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    let revoked = state.db.revoke_contact_session(&session.row.tenant_id, &session.contact_id, &session_id).await?;
    if !revoked {
        return Err(WebError::NotFound);
    }
    if session_id == session.row.id {
        return Ok(signed_out_page(CookieJar::new()));
    }
    Ok(Redirect::to("/account/sessions").into_response())
}

/// `POST /signout`
pub async fn sign_out(State(state): State<AppState>, jar: CookieJar, session: PortalSession, Form(form): Form<CsrfForm>) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    state.db.revoke_session(&session.row.tenant_id, &session.row.id).await?;
    Ok(signed_out_page(jar))
}

fn signed_out_page(jar: CookieJar) -> Response {
    let jar = jar.remove(Cookie::build(COOKIE).path("/"));
    let page = crate::view::error_page(
        "You are signed out",
        "To come back, open the portal link from your e-mail again.",
    );
    (jar, Html(page)).into_response()
}
