//! `GET /files/{id}` and `/files/{id}/thumbnail`: a file attached through a
//! section's form or sent with a message, for whoever may open it
//! (`uploads::may_open`): staff of the business, the person who attached
//! it, the contact of its conversation, the clients of its job (unless it
//! was sent in another person's conversation). To anyone
//! else, signed in or not, it does not exist.

use crate::app::AppState;
use crate::error::WebError;
use crate::sessions::{PortalSession, StaffSession};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::CookieJar;
use portico_data::Upload;
use portico_services::uploads::{may_open, Opener};

pub fn router() -> Router<AppState> {
    Router::new().route("/files/{id}", get(file)).route("/files/{id}/thumbnail", get(thumbnail))
}

async fn file(State(state): State<AppState>, jar: CookieJar, Path(id): Path<String>) -> Result<Response, WebError> {
    let upload = openable(&state, &jar, &id).await?;
    let bytes = state.files.get(&upload.file_key).await.map_err(|e| anyhow::anyhow!("reading upload {}: {e}", upload.id))?;
    Ok(crate::download::inline_download(upload.file_name.rsplit_once('.').map_or(upload.file_name.as_str(), |(stem, _)| stem), &upload.content_type, bytes))
}

async fn thumbnail(State(state): State<AppState>, jar: CookieJar, Path(id): Path<String>) -> Result<Response, WebError> {
    let upload = openable(&state, &jar, &id).await?;
    let key = upload.thumbnail_key.as_deref().ok_or(WebError::NotFound)?;
    let bytes = state.files.get(key).await.map_err(|e| anyhow::anyhow!("reading the thumbnail of upload {}: {e}", upload.id))?;
    Ok(crate::download::inline_download("thumbnail", "image/jpeg", bytes))
}

/// The upload, if the request's session may open it.
async fn openable(state: &AppState, jar: &CookieJar, id: &str) -> Result<Upload, WebError> {
    if id.is_empty() || id.len() > 64 {
        return Err(WebError::NotFound);
    }
    if let Some(staff) = StaffSession::from_jar(state, jar).await? {
        let tenant = state.db.tenant(&staff.row.tenant_id);
        let upload = tenant.upload(id).await?.ok_or(WebError::NotFound)?;
        // A file sent in a conversation is for those who may read it.
        if !staff.may(crate::staff::roles::Ability::Converse) && tenant.conversation_of_upload(id).await?.is_some() {
            return Err(WebError::NotFound);
        }
        return may_open(&upload, &Opener::Staff).then_some(upload).ok_or(WebError::NotFound);
    }
    let session = PortalSession::from_jar(state, jar).await?.ok_or(WebError::NotFound)?;
    let tenant = state.db.tenant(&session.row.tenant_id);
    let upload = tenant.upload(id).await?.ok_or(WebError::NotFound)?;
    let role_on_job = match &upload.job_id {
        Some(job_id) => tenant.job_access(job_id, &session.contact_id, session.row.verified_email.as_deref()).await?.map(|on_job| on_job.role.0),
        None => None,
    };
    let sent_in = portico_services::uploads::sent_in(&state.db, &session.row.tenant_id, id, &session.contact_id, session.row.verified_email.as_deref()).await?;
    let opener = Opener::Contact { contact_id: &session.contact_id, role_on_job, sent_in };
    may_open(&upload, &opener).then_some(upload).ok_or(WebError::NotFound)
}
