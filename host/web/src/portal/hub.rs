//! The account hub: every job a signed-in contact has with this business,
//! upcoming and past, the other businesses where their proven address is a
//! contact (the account picker), and their password where the tenant allows.

use crate::app::AppState;
use crate::csrf::{check_session, CsrfForm};
use portico_data::{Actor, AuditEntry, SessionSubject};
use crate::error::WebError;
use portico_core::model::{now, RequestOrigin, Role, Tenant};
use crate::section_cards::{self, Flash, PostedAction};
use portico_sections::{Audience, Surface, ViewerIdentity};
use portico_core::formats::Formats as _;
use crate::sessions::{keep_alive, leave_notice, start_session, take_flash, PortalSession};
use portico_core::formats::TenantFormats;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use std::net::SocketAddr;

/// The header and branding every account page shares.
/// What every signed-in portal page outside a job's sections shows: the
/// business's header, the viewer and the session's form token.
pub(crate) fn frame(tenant: &Tenant, session: &PortalSession, name: &str, title: &str) -> serde_json::Value {
    serde_json::json!({
        "title": format!("{title} · {}", tenant.name),
        "brand_css": crate::view::brand_css(tenant),
        "tenant": crate::view::tenant_view(tenant),
        "viewer": { "name": name, "email": session.row.verified_email },
        "csrf": crate::csrf::for_page(&session.row.csrf_token),
        "signin_url": crate::view::signin_path(tenant),
    })
}


/// The viewer's closest role across their jobs: how the account hub's
/// sections see them (a client on one job and an agent on another is a
/// client); `None` without a job.
fn closest_role(jobs: &[portico_data::AccountJob]) -> Option<Role> {
    let rank = |role: Role| match role {
        Role::Client => 0,
        Role::CoClient => 1,
        Role::BuyerAgent => 2,
        Role::ListingAgent => 3,
        Role::Other | Role::Staff => 4,
    };
    jobs.iter().map(|job| job.role.0).filter(|role| *role != Role::Staff).min_by_key(|role| rank(*role))
}

/// Who the account hub's sections serve: the signed-in contact, across
/// every job their session reaches; nobody when it reaches none.
fn hub_audience(session: &PortalSession, name: &str, jobs: &[portico_data::AccountJob], origin: RequestOrigin) -> Option<Audience> {
    Some(Audience {
        tenant_id: session.row.tenant_id.clone(),
        surface: Surface::AccountHub,
        job_id: None,
        viewer: ViewerIdentity {
            role: closest_role(jobs)?,
            contact_id: Some(session.contact_id.clone()),
            job_contact_id: None,
            display_name: name.to_string(),
            verified: true,
            proven_email: session.row.verified_email.clone(),
            staff: None,
        },
        origin,
        preview: false,
        memo: None,
    })
}

/// `GET /account`, and `?tab=` for a tab of the hub's sections.
pub async fn hub(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    session: PortalSession,
    Query(query): Query<super::page::PageQuery>,
) -> Result<Response, WebError> {
    let tenant = session.business(&state).await?;
    let formats = TenantFormats::new(&tenant);
    let jobs = state.db.tenant(&tenant.id).account_jobs(&session.contact_id, session.row.verified_email.as_deref()).await?;
    let today = now() - 12 * 3600;
    let (mut upcoming, mut past) = (Vec::new(), Vec::new());
    for job in &jobs {
        let finished = matches!(job.status.as_str(), "completed" | "cancelled") || job.starts_at.is_some_and(|at| at < today);
        let entry = serde_json::json!({
            "job_id": job.job_id,
            "address": format!("{}, {}, {}", job.line1, job.city, job.region),
            "reference": job.reference,
            "role": job.role.0.label(),
            "status": job.status.replace('-', " "),
            "when": job.starts_at.map(|at| formats.moment(at)),
        });
        if finished { past.push((job.starts_at, entry)) } else { upcoming.push((job.starts_at, entry)) }
    }
    // Soonest first for what is coming, most recent first for what is done.
    upcoming.sort_by_key(|(at, _)| at.unwrap_or(i64::MAX));
    past.sort_by_key(|(at, _)| std::cmp::Reverse(at.unwrap_or(0)));
    let other_tenants = match &session.row.verified_email {
        Some(email) => state.db.tenant(&tenant.id).other_tenants_of(email).await?,
        None => Vec::new(),
    };
    let flash: Option<Flash> = take_flash(&state, &session.row).await?;
    let name = session.name(&state).await?;

    // The business's sections on the hub, on its home page or their tabs.
    // Someone whose every link was revoked keeps the hub's own page (their
    // other portals, their password) but no section speaks to them.
    let placed = match hub_audience(&session, &name, &jobs, crate::client::origin(peer, &headers)) {
        Some(audience) => {
            // One memo for every section of this render (not for actions).
            let audience = Audience { memo: Some(std::sync::Arc::new(portico_sections::RenderMemo::new(&state.db, &tenant))), ..audience };
            section_cards::compose(&state, &tenant, &audience, section_cards::Which::All, section_cards::kept_form(flash.as_ref())).await?
        }
        None => Vec::new(),
    };
    let (tabs, current) = section_cards::tabs(&placed, "/account", "Overview", query.tab.as_deref());
    let places: super::present::CardPlaces =
        placed.iter().map(|p| ((p.card.plugin_id.clone(), p.card.id.clone()), p.tab.as_deref().map(section_cards::tab_slug))).collect();
    let links = super::present::PageLinks { own_page: "/account", base_url: "/account", places: &places };
    let (cards, flash) = section_cards::cards_on_page(&state, placed, current.as_deref(), flash, &links);
    let title = tabs.iter().find(|tab| tab.current && current.is_some()).map(|tab| tab.title.clone()).unwrap_or_else(|| "Overview".into());

    let mut data = frame(&tenant, &session, &name, &title);
    data["tabs"] = serde_json::to_value(&tabs).map_err(anyhow::Error::from)?;
    data["on_tab"] = current.is_some().into();
    data["tab_title"] = title.into();
    data["cards"] = serde_json::Value::Array(cards);
    let csrf = data["csrf"].as_str().unwrap_or_default().to_string();
    data["card_form"] = section_cards::card_form(&csrf, "/account/actions", current.as_deref().unwrap_or_default(), false);
    data["jobs_count"] = jobs.len().into();
    data["upcoming"] = upcoming.into_iter().map(|(_, entry)| entry).collect();
    data["past"] = past.into_iter().map(|(_, entry)| entry).collect();
    data["other_tenants"] = other_tenants.iter().map(|t| serde_json::json!({ "slug": t.slug, "name": t.name })).collect();
    data["passwords"] = tenant.allows_client_passwords().into();
    data["unread_messages"] = crate::messages::unread_threads(&state, &tenant, &session, &name).await?.into();
    data["flash"] = section_cards::flash_view(flash.as_ref());
    let body = crate::view::render_value("hub", data)?;
    Ok((keep_alive(jar, session.refreshed), Html(body)).into_response())
}

/// `POST /account/actions`: an action on a card of the account hub, for the
/// signed-in contact across their jobs; back to the card after.
pub async fn act(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: PortalSession,
    form: section_cards::ActionForm,
) -> Result<Response, WebError> {
    PostedAction::check_csrf(&form.pairs, &session.row.csrf_token)?;
    let posted = PostedAction::read(form)?;
    let tenant = session.business(&state).await?;
    let jobs = state.db.tenant(&tenant.id).account_jobs(&session.contact_id, session.row.verified_email.as_deref()).await?;
    let audience = hub_audience(&session, &session.name(&state).await?, &jobs, crate::client::origin(peer, &headers)).ok_or(WebError::NotFound)?;
    let back = posted.back_to("/account");
    section_cards::answer(&state, &session.row, &tenant, &audience, posted, &back).await
}

/// `POST /account/switch/{slug}`: open the portal of another business where
/// the address this session proved is a contact. Sessions that did not prove
/// an address (a forwarded personal link, a password) cannot switch.
pub async fn switch(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    session: PortalSession,
    Path(slug): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    let email = session.row.verified_email.clone().ok_or(WebError::NotFound)?;
    let target = state.db.tenant_by_slug(&slug).await?.ok_or(WebError::NotFound)?;
    let (contact_id, name) = state.db.tenant(&target.id).contact_for_sign_in(&email).await?.ok_or(WebError::NotFound)?;
    let subject = SessionSubject::Contact { contact_id: &contact_id, job_contact_id: None, verified_email: Some(&email) };
    let audit = AuditEntry::new(&target.id, "portal.signed-in", "Signed in from another business's portal with a proven address")
        .by(Actor::contact(&contact_id, &name));
    let cookie = start_session(&state, &target.id, subject, "switch", &crate::client::origin(peer, &headers), audit).await?;
    // One cookie holds one session: the one left behind is ended.
    state.db.tenant(&session.row.tenant_id).revoke_session(&session.row.id).await?;
    Ok((jar.add(cookie), Redirect::to("/account")).into_response())
}

/// Setting a password needs an address the session proved.
fn may_set_password(tenant: &Tenant, session: &PortalSession) -> bool {
    tenant.allows_client_passwords() && session.row.verified_email.is_some()
}

/// `GET /account/password`
pub async fn password_form(State(state): State<AppState>, session: PortalSession) -> Result<Response, WebError> {
    let tenant = session.business(&state).await?;
    if !tenant.allows_client_passwords() {
        return Err(WebError::NotFound);
    }
    password_page(&tenant, &session, &session.name(&state).await?, None, StatusCode::OK)
}

fn password_page(tenant: &Tenant, session: &PortalSession, name: &str, error: Option<&str>, status: StatusCode) -> Result<Response, WebError> {
    let mut data = frame(tenant, session, name, "Set your password");
    data["allowed"] = may_set_password(tenant, session).into();
    data["error"] = error.into();
    Ok((status, Html(crate::view::render("password", &data)?)).into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /account/password`
pub async fn set_password(State(state): State<AppState>, session: PortalSession, Form(form): Form<PasswordForm>) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    let tenant = session.business(&state).await?;
    let Some(email) = session.row.verified_email.clone().filter(|_| may_set_password(&tenant, &session)) else {
        return Err(WebError::NotFound);
    };
    let name = session.name(&state).await?;
    if let Err(why) = portico_core::passwords::check_new(&form.password, &form.confirm) {
        return password_page(&tenant, &session, &name, Some(why), StatusCode::BAD_REQUEST);
    }
    let hash = portico_core::passwords::hash_off_thread(form.password).await?;
    state.db.tenant(&tenant.id).set_contact_password(&email, &hash).await?;
    let audit = AuditEntry::new(&tenant.id, "portal.password-set", "Set a portal password").by(Actor::contact(&session.contact_id, &name));
    state.db.record_audit(&audit).await?;
    leave_notice(&state, &session.row, "success", "Your password is set.").await?;
    Ok(Redirect::to("/account").into_response())
}
