//! Sections on the console: a panel of cards on a job's page (surface
//! `staff-job-page`) and a page of a section's own across jobs (surface
//! `staff-page`), each for the staff roles its cards name. The viewer is the
//! staff member, and what they do through a card is audited as them.

use super::menu::{MenuItem, SECTION_PAGE_TEMPLATE};
use super::roles::Ability;
use crate::app::AppState;
use crate::error::WebError;
use crate::section_cards::{self, Flash, PostedAction};
use crate::sessions::StaffSession;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::CookieJar;
use portico_core::ids::JobId;
use portico_core::model::{RequestOrigin, Tenant};
use portico_sections::{Audience, StaffMember, Surface};
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/jobs/{job_id}/actions", post(act_on_job).layer(DefaultBodyLimit::max(section_cards::MAX_ACTION_BODY)))
        .route("/staff/pages/{plugin}", get(page))
        .route("/staff/pages/{plugin}/actions", post(act_on_page).layer(DefaultBodyLimit::max(section_cards::MAX_ACTION_BODY)))
}

/// The staff member as the sections see them, on `surface`.
fn audience(session: &StaffSession, surface: Surface, job_id: Option<JobId>, origin: RequestOrigin) -> Audience {
    let member = StaffMember { user_id: session.user.id.clone(), role: session.user.role };
    Audience::staff(session.row.tenant_id.clone(), surface, job_id, member, &session.user.display_name, origin)
}

/// The console's job page's panel: the sections' cards for this member on
/// `job_id`, with the message after an action in its card; and the message
/// left for the top of the page.
pub(super) async fn job_panel(
    state: &AppState,
    tenant: &Tenant,
    session: &StaffSession,
    job_id: &JobId,
    flash: Option<Flash>,
) -> Result<(Vec<serde_json::Value>, Option<Flash>), WebError> {
    let audience = audience(session, Surface::StaffJobPage, Some(job_id.clone()), RequestOrigin::default());
    let placed = section_cards::compose(state, tenant, &audience, section_cards::Which::All, section_cards::kept_form(flash.as_ref())).await?;
    let own_page = format!("/staff/jobs/{job_id}");
    let places = Default::default();
    let links = crate::portal::present::PageLinks { own_page: &own_page, base_url: &own_page, places: &places };
    Ok(section_cards::cards_on_page(&state, placed, None, flash, &links))
}

/// `POST /staff/jobs/{job}/actions`: an action on a card of the job's panel.
async fn act_on_job(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: StaffSession,
    Path(job_id): Path<JobId>,
    form: crate::section_cards::ActionForm,
) -> Result<Response, WebError> {
    PostedAction::check_csrf(&form.pairs, &session.row.csrf_token)?;
    session.require(Ability::ViewJobs)?;
    let posted = PostedAction::read(form)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    // Another business's job is one that does not exist.
    state.db.tenant(&tenant.id).job(&job_id).await?.ok_or(WebError::NotFound)?;
    let audience = audience(&session, Surface::StaffJobPage, Some(job_id.clone()), crate::client::origin(peer, &headers));
    let back = posted.back_to(&format!("/staff/jobs/{job_id}"));
    section_cards::answer(&state, &session.row, &tenant, &audience, posted, &back).await
}

/// The section's page, if it has one this member may see.
async fn section_with_page(state: &AppState, tenant: &Tenant, session: &StaffSession, plugin_id: &str) -> Result<(String, Audience), WebError> {
    let sections = state.sections.active(&tenant.id).await?;
    let audience = audience(session, Surface::StaffPage, None, RequestOrigin::default());
    let section = sections.iter().find(|s| s.plugin.id() == plugin_id).ok_or(WebError::NotFound)?;
    if section.cards_for(&audience).is_empty() {
        return Err(WebError::NotFound);
    }
    Ok((section.plugin.descriptor.name.clone(), audience))
}

/// `GET /staff/pages/{plugin}`: the section's own console page.
async fn page(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(plugin_id): Path<String>) -> Result<Response, WebError> {
    session.require(Ability::ViewJobs)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let (name, audience) = section_with_page(&state, &tenant, &session, &plugin_id).await?;
    let flash: Option<Flash> = crate::sessions::take_flash(&state, &session.row).await?;
    // Only this section's cards: the page is its own.
    let only = section_cards::Which::Only(&plugin_id);
    let placed = section_cards::compose(&state, &tenant, &audience, only, section_cards::kept_form(flash.as_ref())).await?;
    let own_page = format!("/staff/pages/{plugin_id}");
    let places = Default::default();
    let links = crate::portal::present::PageLinks { own_page: &own_page, base_url: &own_page, places: &places };
    let (cards, flash) = section_cards::cards_on_page(&state, placed, None, flash, &links);
    let data = serde_json::json!({
        "name": name,
        "cards": cards,
        "flash": flash.map(|f| serde_json::json!({ "tone": f.tone, "message": f.message })),
        "card_form": section_cards::card_form(&crate::csrf::for_page(&session.row.csrf_token), &format!("/staff/pages/{plugin_id}/actions"), "", false),
        "section_page": own_page,
    });
    super::console_page(&state, jar, session, SECTION_PAGE_TEMPLATE, &name, data).await
}

/// `POST /staff/pages/{plugin}/actions`: an action on a card of the section's page.
async fn act_on_page(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: StaffSession,
    Path(plugin_id): Path<String>,
    form: crate::section_cards::ActionForm,
) -> Result<Response, WebError> {
    PostedAction::check_csrf(&form.pairs, &session.row.csrf_token)?;
    session.require(Ability::ViewJobs)?;
    let posted = PostedAction::read(form)?;
    if posted.plugin_id != plugin_id {
        return Err(WebError::NotFound);
    }
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let audience = audience(&session, Surface::StaffPage, None, crate::client::origin(peer, &headers));
    let back = posted.back_to(&format!("/staff/pages/{plugin_id}"));
    section_cards::answer(&state, &session.row, &tenant, &audience, posted, &back).await
}

/// The menu entries of the sections' own pages this member may see, the
/// one at `current` (a page's address) marked.
pub(super) async fn menu_items(state: &AppState, tenant: &Tenant, session: &StaffSession, current: Option<&str>) -> Result<Vec<MenuItem>, WebError> {
    let audience = audience(session, Surface::StaffPage, None, RequestOrigin::default());
    Ok(state
        .sections
        .active(&tenant.id)
        .await?
        .iter()
        .filter(|section| !section.cards_for(&audience).is_empty())
        .map(|section| {
            let href = format!("/staff/pages/{}", section.plugin.id());
            MenuItem { current: current == Some(href.as_str()), label: portico_core::text::clamp(&section.plugin.descriptor.name, 40), href }
        })
        .collect())
}
