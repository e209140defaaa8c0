//! The client portal: personal links, the job page, actions and documents.

mod account;
mod actions;
mod dashboard;
pub(crate) mod present;
pub(crate) mod downloads;
mod guest;
mod hub;
pub(crate) mod notifications;
pub(crate) mod page;
mod renew;

pub(crate) use hub::frame;

use portico_core::ids::JobId;
use crate::app::AppState;
use crate::error::WebError;
use portico_core::model::JobContact;
use crate::client::origin;
use crate::sessions::{start_session, PortalSession};
use portico_core::tokens::hash_token;
use axum::extract::{DefaultBodyLimit, ConnectInfo, Path, State};
use axum::http::HeaderMap;
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
        .route("/jobs/{job_id}/actions", post(actions::submit).layer(DefaultBodyLimit::max(crate::section_cards::MAX_ACTION_BODY)))
        .route("/jobs/{job_id}/documents/{document_id}", get(document))
        .route("/jobs/{job_id}/access", post(guest::request_access))
        .route("/account", get(hub::hub))
        .route("/account/actions", post(hub::act).layer(DefaultBodyLimit::max(crate::section_cards::MAX_ACTION_BODY)))
        .route("/account/switch/{slug}", post(hub::switch))
        .route("/account/password", get(hub::password_form).post(hub::set_password))
        .route("/account/sessions", get(account::sessions))
        .route("/account/notifications", get(notifications::account).post(notifications::account_save))
        .route("/t/{slug}/notifications/{recipient}/{signature}", get(notifications::by_link).post(notifications::by_link_save))
        .route("/account/sessions/{session_id}/revoke", post(account::revoke))
        .route("/account/links/{job_contact_id}/replace", post(account::replace_link))
        .route("/signout", post(account::sign_out))
}


/// `GET /p/{token}`: a contact's personal link. Starts a session and sends them
/// to their job. An unknown token gets a 404; a replaced, revoked or expired
/// one the page of its business, with the way back in.
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
    let hash = hash_token(&token);
    let Some(holder) = state.db.find_link_holder(&hash).await? else {
        // A link the business replaced or revoked says whose it was.
        let Some(tenant_id) = state.db.retired_link(&hash).await? else { return Err(WebError::NotFound) };
        let tenant = state.db.tenant(&tenant_id).business().await?.ok_or(WebError::NotFound)?;
        return Ok(renew::retired_page(&tenant));
    };
    if holder.expired {
        let tenant = state.db.tenant(&holder.tenant_id).business().await?.ok_or(WebError::NotFound)?;
        return renew::expired_page(jar, &tenant, &token);
    }
    let subject = portico_data::SessionSubject::Contact {
        contact_id: &holder.job_contact.contact_id,
        job_contact_id: Some(&holder.job_contact.id),
        verified_email: None,
    };
    let audit = portico_data::AuditEntry::new(&holder.tenant_id, "portal.opened", "Opened the portal from a personal link")
        .by(portico_data::Actor::contact(&holder.job_contact.contact_id, &holder.job_contact.name)).on_job(&holder.job_contact.job_id);
    let cookie = start_session(&state, &holder.tenant_id, subject, "link", &origin(peer, &headers), audit).await?;
    let jar = jar.add(cookie);
    Ok((jar, Redirect::to(&format!("/jobs/{}", holder.job_contact.job_id))).into_response())
}

/// A person on a job as the sections see them.
pub(crate) fn viewer(on_job: &JobContact) -> portico_sections::ViewerIdentity {
    portico_sections::ViewerIdentity {
        role: on_job.role.0,
        contact_id: Some(on_job.contact_id.clone()),
        job_contact_id: Some(on_job.id.clone()),
        display_name: on_job.name.clone(),
        // Whoever holds a personal link, or proved their address, is who
        // the business invited; guests never reach a section.
        verified: true,
        proven_email: None,
        staff: None,
    }
}

/// Who a portal request is for: the session's contact, as `on_job` on `job_id`.
pub(crate) fn audience(session: &PortalSession, on_job: &JobContact, peer: SocketAddr, headers: &HeaderMap) -> portico_sections::Audience {
    portico_sections::Audience {
        tenant_id: session.row.tenant_id.clone(),
        surface: portico_sections::Surface::JobPage,
        job_id: Some(on_job.job_id.clone()),
        viewer: viewer(on_job),
        origin: origin(peer, headers),
        preview: false,
        memo: None,
    }
}

/// `GET /jobs/{job}/documents/{document}`: the file, if the viewer may open it
/// now (a held report is refused like a missing one).
async fn document(
    State(state): State<AppState>,
    session: PortalSession,
    Path((job_id, document_id)): Path<(JobId, String)>,
) -> Result<Response, WebError> {
    let role = session.on_job(&state, &job_id).await?.role.0;
    let tenant_id = &session.row.tenant_id;
    let document = state.db.tenant(tenant_id).document(&job_id, &document_id).await?.ok_or(WebError::NotFound)?;
    let tenant = state.db.tenant(tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let release = portico_services::documents::release(&state.db, &tenant, &job_id).await?;
    if !document.may_open(role, &release) {
        return Err(WebError::NotFound);
    }
    let bytes = state
        .files
        .get(&document.file_key)
        .await
        .map_err(|e| anyhow::anyhow!("reading document {}: {e}", document.id))?;
    Ok(crate::download::inline_download(&document.title, &document.content_type, bytes))
}
