//! `GET /jobs/{job}`: the job page, composed from the tenant's sections.

use portico_core::ids::JobId;
use crate::app::AppState;
use crate::error::WebError;
use portico_core::model::{JobContact, Role, Tenant};
use portico_core::formats::Formats;
use super::dashboard;
use portico_sections::sanitize::CardView;
use portico_sections::Audience;
use crate::sessions::PortalSession;
use portico_core::formats::TenantFormats;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use std::net::SocketAddr;

pub use crate::section_cards::{tab_slug, Flash};

#[derive(Deserialize)]
pub struct PageQuery {
    pub tab: Option<String>,
}

pub async fn job_page(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(job_id): Path<JobId>,
    Query(query): Query<PageQuery>,
) -> Result<Response, WebError> {
    // Without a session that reaches this job, the visitor is a guest.
    let session = PortalSession::from_jar(&state, &jar).await?;
    let access = match &session {
        Some(session) => state.db.tenant(&session.row.tenant_id).job_access(&job_id, &session.contact_id, session.row.verified_email.as_deref()).await?,
        None => None,
    };
    let (Some(session), Some(on_job)) = (session, access) else {
        return super::guest::guest_page(&state, jar, &job_id, peer, &headers).await;
    };
    let tenant_id = session.row.tenant_id.clone();
    // The page only reads: through one snapshot, which also answers the
    // business's row and sections from what is kept across requests.
    let page_db = state.db.snapshot();
    let tenant = page_db.tenant(&tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let flash: Option<Flash> = crate::sessions::take_flash(&state, &session.row).await?;
    let audience = super::audience(&session, &on_job, peer, &headers);
    state
        .access_log
        .record(portico_data::NewAccess {
            tenant_id: tenant_id.clone(),
            job_id: job_id.clone(),
            contact_id: Some(on_job.contact_id.clone()),
            session_id: Some(session.row.id.clone()),
            role: on_job.role.0.as_str().to_string(),
            via: session.row.method.clone(),
            ip: audience.origin.ip.clone(),
            user_agent: audience.origin.user_agent.clone(),
            at: portico_core::model::now(),
        })
        .await;
    let view = PortalView {
        db: &page_db,
        tenant: &tenant,
        on_job: &on_job,
        audience: &audience,
        base_url: format!("/jobs/{job_id}"),
        csrf: &session.row.csrf_token,
        tab: query.tab.as_deref(),
    };
    let body = render_portal(&state, view, flash).await?;
    Ok((crate::sessions::keep_alive(jar, session.refreshed), Html(body)).into_response())
}

/// What a portal page is rendered for.
pub(crate) struct PortalView<'a> {
    /// The render's snapshot ([`portico_data::Db::snapshot`]).
    pub db: &'a portico_data::Db,
    pub tenant: &'a Tenant,
    pub on_job: &'a JobContact,
    pub audience: &'a Audience,
    /// The page's own address; tabs add `?tab=`.
    pub base_url: String,
    pub csrf: &'a str,
    pub tab: Option<&'a str>,
}

/// The job page as `view.on_job` sees it: for the contact themselves, or, with
/// `audience.preview`, for staff previewing it (every action disabled).
pub(crate) async fn render_portal(state: &AppState, view: PortalView<'_>, flash: Option<Flash>) -> Result<String, WebError> {
    let PortalView { db: page_db, tenant, on_job, audience, base_url, csrf, tab } = view;
    let role = on_job.role.0;
    let tenant_id = &tenant.id;
    let job_id = audience.job_id.as_ref().ok_or(WebError::NotFound)?;
    // One memo for every section of this render and for the page itself:
    // what they share is read once.
    let memo = std::sync::Arc::new(portico_sections::RenderMemo::new(page_db, tenant));
    let db = memo.db().tenant(tenant_id);
    // The job with what its page and sections show of it, in one statement.
    let job = db.prefetch_job(job_id).await?.ok_or(WebError::NotFound)?;
    let property = db.property(&job.property_id).await?;
    let appointments = db.appointments(job_id).await?;
    let formats = TenantFormats::new(tenant);
    // A refused form comes back as it was typed; a card acted on is not
    // refilled after it succeeded.
    let kept = crate::section_cards::kept_form(flash.as_ref());
    let audience = &portico_sections::Audience { memo: Some(memo.clone()), ..audience.clone() };
    let placed = crate::section_cards::compose(state, tenant, audience, crate::section_cards::Which::All, kept).await?;
    let (tabs, current) = crate::section_cards::tabs(&placed, &base_url, "Dashboard", tab);
    let places: super::present::CardPlaces =
        placed.iter().map(|p| ((p.card.plugin_id.clone(), p.card.id.clone()), p.tab.as_deref().map(tab_slug))).collect();
    let on_dashboard = current.is_none();
    let (checklist, headline) = if on_dashboard {
        let on_home: Vec<&CardView> = placed.iter().filter(|p| p.tab.is_none()).map(|p| &p.card).collect();
        (dashboard::checklist(on_home), report_headline(state, tenant, audience, role).await?)
    } else {
        (None, None)
    };
    let placed = if on_dashboard { dashboard::in_order(placed) } else { placed };
    let own_page = format!("/jobs/{job_id}");
    let links = super::present::PageLinks { own_page: &own_page, base_url: &base_url, places: &places };
    let (cards, flash) = crate::section_cards::cards_on_page(&state, placed, current.as_deref(), flash, &links);

    let csrf = crate::csrf::for_page(csrf);
    let mut data = serde_json::json!({
        // Each tab is a page of its own in the browser's history and tabs.
        "title": match tabs.iter().find(|t| t.current && current.is_some()) {
            Some(tab) => format!("{} · {} · {}", tab.title, property.line1, tenant.name),
            None => format!("{} · {}", property.line1, tenant.name),
        },
        // On a tab, the job's header shrinks to its address: the tab's
        // content starts near the top of a phone's screen.
        "on_tab": current.is_some(),
        "brand_css": crate::view::brand_css(tenant),
        "tenant": crate::view::tenant_view(tenant),
        "viewer": { "name": on_job.name, "role_label": role.label() },
        // The business writes its welcome to its clients ("your
        // inspection"); agents and others get none.
        "welcome": matches!(role, Role::Client | Role::CoClient).then_some(tenant.welcome_text.as_str()).filter(|text| !text.is_empty()),
        "account_url": if audience.preview { serde_json::Value::Null } else { "/account".into() },
        "job": {
            "id": job.id,
            "address": property.one_line(),
            "reference": job.reference,
            "appointment": appointments.iter().find(|a| a.status != "cancelled").map(|a| formats.moment(a.starts_at)),
        },
        "checklist": checklist,
        "headline": headline,
        "tabs": tabs,
        "flash": crate::section_cards::flash_view(flash.as_ref()),
        "card_form": crate::section_cards::card_form(&csrf, &format!("/jobs/{job_id}/actions"), current.as_deref().unwrap_or_default(), audience.preview),
        "csrf": csrf,
        "preview": audience.preview,
        "exit_preview": audience.preview.then(|| format!("/staff/jobs/{job_id}")),
    });
    // Moved in, not through `json!`, which would copy every card.
    data["cards"] = serde_json::Value::Array(cards);
    Ok(crate::view::render_value("portal", data)?)
}

/// The released reports `role` may open, for the top of the dashboard. The
/// job's release comes from the render's memo: the sections worked it out.
async fn report_headline(state: &AppState, tenant: &Tenant, audience: &Audience, role: Role) -> Result<Option<dashboard::Headline>, WebError> {
    let Some(job_id) = audience.job_id.as_ref() else { return Ok(None) };
    let db = audience.memo.as_ref().map(|memo| memo.db()).unwrap_or(&state.db);
    let reports = db.tenant(&tenant.id).documents(job_id, "report").await?;
    if !reports.iter().any(|doc| doc.published_at.is_some()) {
        return Ok(None);
    }
    let compute = || portico_services::documents::release(db, tenant, job_id);
    let release = portico_sections::RenderMemo::release_or_compute(audience.memo.as_deref(), compute).await?;
    Ok(dashboard::headline(job_id, role, &reports, &release))
}
