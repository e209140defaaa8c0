//! The client portal: personal links, the job page, actions and documents.

mod account;
mod actions;
mod page;
mod renew;

use crate::app::AppState;
use crate::error::WebError;
use crate::model::Role;
use crate::sessions::{start_session, PortalSession};
use crate::tokens::hash_token;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::CookieJar;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/p/{token}", get(open_link))
        .route("/p/{token}/renew", post(renew::renew))
        .route("/jobs/{job_id}", get(page::job_page))
        .route("/jobs/{job_id}/actions", post(actions::submit))
        .route("/jobs/{job_id}/documents/{document_id}", get(document))
        .route("/account/sessions", get(account::sessions))
        .route("/account/sessions/{session_id}/revoke", post(account::revoke))
        .route("/signout", post(account::sign_out))
}

/// Where a request came from: the peer address and the browser.
pub(crate) fn origin(peer: SocketAddr, headers: &HeaderMap) -> crate::plugins::RequestOrigin {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| crate::plugins::sanitize::clamp(ua, 400))
        .unwrap_or_default();
    crate::plugins::RequestOrigin { ip: peer.ip().to_string(), user_agent }
}

/// `GET /p/{token}`: a contact's personal link. Starts a session and sends them
/// to their job. Unknown, revoked and foreign tokens get the same 404.
async fn open_link(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    if token.len() > 128 {
        return Err(WebError::NotFound);
    }
    let holder = state.db.find_link_holder(&hash_token(&token)).await?.ok_or(WebError::NotFound)?;
    if holder.expired {
        return renew::expired_page(jar, &token);
    }
    let subject = crate::db::SessionSubject::Contact {
        contact_id: &holder.job_contact.contact_id,
        job_contact_id: &holder.job_contact.id,
    };
    let mut audit = crate::db::AuditEntry::new(&holder.tenant_id, "portal.opened", "Opened the portal from a personal link");
    audit.job_id = Some(holder.job_contact.job_id.clone());
    audit.actor_kind = "contact".into();
    audit.actor_id = Some(holder.job_contact.contact_id.clone());
    audit.actor_name = holder.job_contact.name.clone();
    let cookie = start_session(&state, &holder.tenant_id, subject, &origin(peer, &headers), audit).await?;
    let jar = jar.add(cookie);
    Ok((jar, Redirect::to(&format!("/jobs/{}", holder.job_contact.job_id))).into_response())
}

/// Who a portal request is for: the session's contact, in `role`, on `job_id`.
pub(crate) fn audience(session: &PortalSession, job_id: &str, role: Role, peer: SocketAddr, headers: &HeaderMap) -> crate::plugins::Audience {
    crate::plugins::Audience {
        tenant_id: session.row.tenant_id.clone(),
        job_id: job_id.to_string(),
        viewer: crate::plugins::ViewerIdentity {
            role,
            contact_id: Some(session.job_contact.contact_id.clone()),
            job_contact_id: Some(session.job_contact.id.clone()),
            display_name: session.job_contact.name.clone(),
            verified: true,
        },
        origin: origin(peer, headers),
        preview: false,
    }
}

/// The session's role on `job_id`, or a 404 when the session is for another job.
pub(crate) fn role_on(session: &PortalSession, job_id: &str) -> Result<Role, WebError> {
    if session.job_contact.job_id != job_id {
        return Err(WebError::NotFound);
    }
    Ok(session.job_contact.role.0)
}

/// `GET /jobs/{job}/documents/{document}`: the file, if the viewer may open it.
async fn document(
    State(state): State<AppState>,
    session: PortalSession,
    Path((job_id, document_id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let role = role_on(&session, &job_id)?;
    let tenant_id = &session.row.tenant_id;
    let document = state.db.document(tenant_id, &job_id, &document_id).await?.ok_or(WebError::NotFound)?;
    if !document.may_open(role) {
        return Err(WebError::NotFound);
    }
    let bytes = state
        .files
        .get(&document.file_key)
        .await
        .map_err(|e| anyhow::anyhow!("reading document {}: {e}", document.id))?;
    let filename: String = document
        .title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == ' ' || c == '-' { c } else { '_' })
        .collect();
    let extension = if document.content_type == "application/pdf" { "pdf" } else { "bin" };
    let headers = [
        (header::CONTENT_TYPE, document.content_type.clone()),
        (header::CONTENT_DISPOSITION, format!("inline; filename=\"{filename}.{extension}\"")),
        // Whatever the file holds, it runs no script in the portal's origin.
        (header::CONTENT_SECURITY_POLICY, "sandbox".to_string()),
        (header::CACHE_CONTROL, "private, no-store".to_string()),
    ];
    Ok((headers, bytes).into_response())
}
