//! `GET /jobs/{job}`: the job page, composed from the tenant's sections.

use portico_core::ids::JobId;
use crate::app::AppState;
use crate::error::WebError;
use portico_core::model::{JobContact, Role, Tenant};
use portico_core::formats::Formats;
use super::dashboard;
use portico_sections::sanitize::{accept_cards, CardView, TaskState};
use portico_sections::{ActiveSection, Audience, Invocation, Returned};
use crate::sessions::PortalSession;
use portico_core::formats::TenantFormats;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// A message carried across the redirect after an action.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub tone: String,
    pub message: String,
    /// The plugin and card the message is about (shown in that card).
    #[serde(default)]
    pub card: Option<(String, String)>,
    /// Whether that card's form comes back as typed (`input`): after a
    /// refusal, never after a success.
    #[serde(default)]
    pub refill: bool,
    #[serde(default)]
    pub input: Vec<(String, String)>,
    /// After a refusal, what to fix in which input (name, message).
    #[serde(default)]
    pub problems: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    tab: Option<String>,
}

#[derive(Serialize)]
struct TabLink {
    title: String,
    href: String,
    current: bool,
}

/// A refused form to refill: (plugin, card), what the viewer typed and what to fix.
type KeptForm<'a> = Option<(&'a (String, String), portico_sections::sanitize::KeptForm<'a>)>;

/// One card with where it goes.
struct PlacedCard {
    tab: Option<String>,
    card: CardView,
}

/// The URL-safe name of a tab ("Special Offers" → "special-offers").
pub fn tab_slug(title: &str) -> String {
    let slug: String = title
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    slug.split('-').filter(|part| !part.is_empty()).collect::<Vec<_>>().join("-")
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
    let tenant = state.db.tenant(&tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let flash: Option<Flash> = crate::sessions::take_flash(&state, &session.row).await?;
    let audience = super::audience(&session, &on_job, peer, &headers);
    state
        .db
        .record_access(&portico_data::NewAccess {
            tenant_id: &tenant_id,
            job_id: &job_id,
            contact_id: Some(&on_job.contact_id),
            session_id: Some(&session.row.id),
            role: on_job.role.0.as_str(),
            via: &session.row.method,
            ip: &audience.origin.ip,
            user_agent: &audience.origin.user_agent,
        })
        .await?;
    let view = PortalView {
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
    let PortalView { tenant, on_job, audience, base_url, csrf, tab } = view;
    let role = on_job.role.0;
    let tenant_id = &tenant.id;
    let job_id = &audience.job_id;
    let job = state.db.tenant(tenant_id).job(job_id).await?.ok_or(WebError::NotFound)?;
    let property = state.db.tenant(tenant_id).property(&job.property_id).await?;
    let appointments = state.db.tenant(tenant_id).appointments(job_id).await?;
    let formats = TenantFormats::new(tenant);
    // A refused form comes back as it was typed; a card acted on is not
    // refilled after it succeeded.
    let kept = flash.as_ref().filter(|f| f.refill).and_then(|f| {
        let form = portico_sections::sanitize::KeptForm { typed: &f.input, problems: &f.problems };
        f.card.as_ref().map(|card| (card, form))
    });
    // One memo for every section of this render, and for the page's headline.
    let audience = &portico_sections::Audience { memo: Some(Default::default()), ..audience.clone() };
    let placed = compose(state, tenant, audience, &formats, kept).await?;

    // Tabs: the dashboard first, then each named tab in the order sections declare them.
    let mut tab_titles: Vec<String> = Vec::new();
    for card in &placed {
        if let Some(tab) = card.tab.as_ref().filter(|tab| !tab_titles.contains(tab)) {
            tab_titles.push(tab.clone());
        }
    }
    let current = tab.filter(|slug| tab_titles.iter().any(|t| tab_slug(t) == *slug)).map(str::to_string);
    let places: super::present::CardPlaces =
        placed.iter().map(|p| ((p.card.plugin_id.clone(), p.card.id.clone()), p.tab.as_deref().map(tab_slug))).collect();
    let on_dashboard = current.is_none();

    let mut tabs = Vec::new();
    if !tab_titles.is_empty() {
        tabs.push(TabLink { title: "Dashboard".into(), href: base_url.clone(), current: current.is_none() });
        for title in &tab_titles {
            let slug = tab_slug(title);
            tabs.push(TabLink {
                href: format!("{base_url}?tab={slug}"),
                current: current.as_deref() == Some(slug.as_str()),
                title: title.clone(),
            });
        }
    }
    let cards: Vec<CardView> = placed
        .into_iter()
        .filter(|p| p.tab.as_deref().map(tab_slug) == current)
        .map(|p| p.card)
        .collect();
    let (cards, checklist, headline) = if on_dashboard {
        let checklist = dashboard::checklist(&cards);
        let cards = dashboard::in_order(cards);
        (cards, checklist, report_headline(state, tenant, audience, role).await?)
    } else {
        (cards, None, None)
    };
    let (mut cards, flash) = message_in_its_card(cards, flash);
    let links = super::present::PageLinks { job_id, base_url: &base_url, places: &places };
    for card in &mut cards {
        super::present::present_card(card, &links);
    }

    let body = crate::view::render(
        "portal",
        &serde_json::json!({
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
                "address": property.one_line(),
                "reference": job.reference,
                "appointment": appointments.iter().find(|a| a.status != "cancelled").map(|a| formats.moment(a.starts_at)),
            },
            "checklist": checklist,
            "headline": headline,
            "tabs": tabs,
            "current_tab": current.unwrap_or_default(),
            "cards": cards,
            "flash": flash.map(|f| serde_json::json!({ "role": notice_role(&f.tone), "tone": f.tone, "message": f.message })),
            "csrf": crate::csrf::for_page(csrf),
            "action_url": format!("/jobs/{job_id}/actions"),
            "preview": audience.preview,
            "exit_preview": audience.preview.then(|| format!("/staff/jobs/{job_id}")),
        }),
    )?;
    Ok(body)
}

/// The released reports `role` may open, for the top of the dashboard. The
/// job's release comes from the render's memo: the sections worked it out.
async fn report_headline(state: &AppState, tenant: &Tenant, audience: &Audience, role: Role) -> Result<Option<dashboard::Headline>, WebError> {
    let job_id = &audience.job_id;
    let reports = state.db.tenant(&tenant.id).documents(job_id, "report").await?;
    if !reports.iter().any(|doc| doc.published_at.is_some()) {
        return Ok(None);
    }
    let compute = || portico_services::documents::release(&state.db, tenant, job_id);
    let release = portico_sections::RenderMemo::release_or_compute(audience.memo.as_deref(), compute).await?;
    Ok(dashboard::headline(job_id, role, &reports, &release))
}

/// The message after an action, put in the card it is about (where the page
/// scrolls to, next to the form), or left for the top of the page when that
/// card is not on it.
fn message_in_its_card(cards: Vec<CardView>, flash: Option<Flash>) -> (Vec<serde_json::Value>, Option<Flash>) {
    let mut flash = flash;
    let cards = cards
        .into_iter()
        .map(|card| {
            let mut view = serde_json::to_value(&card).expect("a card view is plain data");
            view["notice"] = serde_json::Value::Null;
            let about_this_card = flash.as_ref().and_then(|f| f.card.as_ref()).is_some_and(|(plugin, id)| *plugin == card.plugin_id && *id == card.id);
            if let Some(message) = flash.take_if(|_| about_this_card) {
                // Each input at fault, linked: on a long card (an agreement's
                // text) the inputs may be a screen or two below the message.
                // A problem worded as the message itself is not said twice:
                // the message becomes its link.
                let at_fault: Vec<(&String, &String)> = card
                    .blocks
                    .iter()
                    .filter_map(|block| match block {
                        portico_sections::sanitize::BlockView::Input { input } => input.problem.as_ref().map(|problem| (&input.id, problem)),
                        _ => None,
                    })
                    .collect();
                let href = at_fault.iter().find(|(_, problem)| **problem == message.message).map(|(id, _)| format!("#{id}"));
                let problems: Vec<serde_json::Value> = at_fault
                    .iter()
                    .filter(|(_, problem)| **problem != message.message)
                    .map(|(id, problem)| serde_json::json!({ "id": id, "message": problem }))
                    .collect();
                view["notice"] = serde_json::json!({
                    "role": notice_role(&message.tone), "tone": message.tone, "message": message.message, "href": href, "problems": problems,
                });
            }
            view
        })
        .collect();
    (cards, flash)
}

/// A refusal interrupts (`alert`); anything else is news (`status`).
fn notice_role(tone: &str) -> &'static str {
    if matches!(tone, "danger" | "warning") { "alert" } else { "status" }
}

/// Render every enabled section concurrently, in the tenant's order. A section
/// that fails shows one "unavailable" card and costs nothing else.
async fn compose(
    state: &AppState,
    tenant: &Tenant,
    audience: &Audience,
    formats: &TenantFormats,
    kept: KeptForm<'_>,
) -> Result<Vec<PlacedCard>, WebError> {
    let sections = state.sections.active(&tenant.id).await?;
    let calls = sections.iter().map(|section| {
        let ctx = state.sections.context(section, audience, tenant);
        async move { state.sections.call(section, audience, Invocation::Render(ctx)).await }
    });
    let results = futures::future::join_all(calls).await;

    let mut placed = Vec::new();
    for (section, result) in sections.iter().zip(results) {
        let specs = &section.plugin.descriptor.cards;
        let cards = match result {
            Ok(Returned::Cards(cards)) => {
                let kept_here = kept
                    .filter(|((plugin, _), _)| plugin == section.plugin.id())
                    .map(|((_, card), input)| (card.as_str(), input));
                accept_cards(section.plugin.id(), cards, specs, audience.viewer.role, formats, kept_here)
            }
            _ => unavailable_card(section, audience.viewer.role).into_iter().collect(),
        };
        for card in cards {
            let tab = specs.iter().find(|spec| spec.id == card.id).and_then(|spec| section.tab_for(spec));
            placed.push(PlacedCard { tab, card });
        }
    }
    Ok(placed)
}

/// What a failed section shows instead of its cards: its first card this role
/// may see, saying it is unavailable.
fn unavailable_card(section: &ActiveSection, role: Role) -> Option<CardView> {
    let wit_role = portico_sections::wit_role(role);
    let spec = section.plugin.descriptor.cards.iter().find(|spec| spec.roles.contains(&wit_role))?;
    Some(CardView {
        plugin_id: section.plugin.id().to_string(),
        id: spec.id.clone(),
        title: portico_core::text::clamp(&spec.title, 120),
        status: Some(portico_sections::sanitize::Chip { label: "Unavailable".into(), tone: "neutral" }),
        task: TaskState::Info,
        blocks: vec![portico_sections::sanitize::BlockView::Text {
            text: "This section is temporarily unavailable. Please try again later.".into(),
        }],
        actions: Vec::new(),
        has_form: false,
        unavailable: true,
    })
}
