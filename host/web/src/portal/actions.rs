//! `POST /jobs/{job}/actions`: a viewer chose an action on a card. Checked
//! (CSRF, job, a card of the job page the viewer's role may see), routed to
//! the plugin's `handle-action`, and answered with a redirect back to the
//! card (post/redirect/get), or with the file the section asked the host to
//! write.

use crate::app::AppState;
use crate::error::WebError;
use crate::section_cards::PostedAction;
use crate::sessions::PortalSession;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use portico_core::ids::JobId;
use std::net::SocketAddr;

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: PortalSession,
    Path(job_id): Path<JobId>,
    form: crate::section_cards::ActionForm,
) -> Result<Response, WebError> {
    PostedAction::check_csrf(&form.pairs, &session.row.csrf_token)?;
    let posted = PostedAction::read(form)?;
    let on_job = session.on_job(&state, &job_id).await?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let audience = super::audience(&session, &on_job, peer, &headers);
    let back = posted.back_to(&format!("/jobs/{job_id}"));
    crate::section_cards::answer(&state, &session.row, &tenant, &audience, posted, &back).await
}
