//! A job as staff see it: the people on it with the state of their personal
//! links, which office staff and owners can e-mail, replace and revoke, and
//! who opened the portal.

use portico_core::ids::JobId;
use super::roles::Ability;
use crate::app::AppState;
use crate::csrf::{check_session, CsrfForm};
use crate::error::WebError;
use portico_services::links::LinkMail;
use portico_core::model::Tenant;
use portico_core::stages::JobStage;
use portico_core::formats::Formats as _;
use crate::sessions::StaffSession;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/jobs/{job_id}", get(page))
        .route("/staff/jobs/{job_id}/preview/{person}", get(preview))
        .route("/staff/jobs/{job_id}/people/{person}/send", post(send))
        .route("/staff/jobs/{job_id}/people/{person}/rotate", post(rotate))
        .route("/staff/jobs/{job_id}/people/{person}/revoke", post(revoke))
}

/// The page, with a just-issued link to show once.
async fn render(
    state: &AppState,
    jar: CookieJar,
    session: StaffSession,
    job_id: &JobId,
    issued: Option<serde_json::Value>,
) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let job = state.db.tenant(&tenant.id).job(job_id).await?.ok_or(WebError::NotFound)?;
    let property = state.db.tenant(&tenant.id).property(&job.property_id).await?;
    let formats = portico_core::formats::TenantFormats::new(&tenant);
    let now = portico_core::model::now();
    let people: Vec<serde_json::Value> = state
        .db
        .tenant(&tenant.id)
        .job_links(job_id)
        .await?
        .into_iter()
        .map(|link| {
            let link_state = match (link.revoked_at, link.token_expires_at) {
                (Some(_), _) => "Revoked".to_string(),
                (None, Some(at)) if at <= now => format!("Expired {}", formats.moment(at)),
                (None, Some(at)) => format!("Works until {}", formats.moment(at)),
                (None, None) => "Works; never expires".to_string(),
            };
            serde_json::json!({
                "id": link.id,
                "name": link.name,
                "role": link.role.0.label(),
                "role_choices": portico_services::jobs::JOB_ROLES
                    .iter()
                    .map(|role| serde_json::json!({ "value": role.as_str(), "label": role.label(), "selected": *role == link.role.0 }))
                    .collect::<Vec<_>>(),
                "email_value": link.email.clone().unwrap_or_default(),
                "phone": link.phone.unwrap_or_default(),
                "email": link.email.unwrap_or_else(|| "—".into()),
                "link_state": link_state,
                "revoked": link.revoked_at.is_some(),
                "preview_url": format!("/staff/jobs/{job_id}/preview/{}", link.id),
                "role_label": link.role.0.label(),
                "last_opened": link.last_opened_at.map(|at| formats.moment(at)).unwrap_or_else(|| "Never".into()),
            })
        })
        .collect();
    let access = if session.may(Ability::ReadAccessLog) {
        // What this instance queued a moment ago is in the log before it is read.
        state.access_log.flush().await;
        super::access::rows(&formats, state.db.tenant(&tenant.id).access_log(Some(job_id), 50).await?)
    } else {
        Vec::new()
    };
    let documents: Vec<serde_json::Value> = state
        .db
        .tenant(&tenant.id)
        .documents(job_id, "")
        .await?
        .into_iter()
        .map(|d| {
            serde_json::json!({
                "id": d.id,
                "title": d.title,
                "kind": d.kind,
                "visible_to": d.visible_roles().iter().map(|r| r.label()).collect::<Vec<_>>().join(", "),
                "published": d.published_at.map(|at| formats.moment(at)),
            })
        })
        .collect();
    let services: Vec<serde_json::Value> = state
        .db
        .tenant(&tenant.id)
        .services(job_id)
        .await?
        .into_iter()
        .map(|s| {
            let rate = s.tax_rate(tenant.tax_rate_bp);
            let tax = if rate == 0 { "no tax".to_string() } else { format!("{} tax", portico_core::estimates::tax_rate_label(rate)) };
            serde_json::json!({ "id": s.id, "name": s.name, "price": formats.money(s.price_minor), "tax": tax, "own_rate": s.tax_rate_bp.is_some() })
        })
        .collect();
    let roles: Vec<serde_json::Value> = portico_core::model::Role::ALL
        .into_iter()
        .filter(|role| *role != portico_core::model::Role::Staff)
        .map(|role| serde_json::json!({ "value": role.as_str(), "label": role.label(), "default": role.sees_billing() }))
        .collect();
    let appointment = state.db.tenant(&tenant.id).appointments(job_id).await?.into_iter().next();
    let local = |at: i64| {
        let zone = jiff::tz::TimeZone::get(&tenant.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        jiff::Timestamp::from_second(at).map(|t| t.to_zoned(zone).strftime("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
    };
    // What the "Edit details" form starts from.
    let details = serde_json::json!({
        "reference": job.reference,
        "line1": property.line1,
        "city": property.city,
        "region": property.region,
        "postal_code": property.postal_code,
        "appointment": appointment.as_ref().map(|a| local(a.starts_at)).unwrap_or_default(),
        "duration_hours": appointment.as_ref().map(|a| format!("{}", (a.ends_at - a.starts_at) as f64 / 3600.0)).unwrap_or_else(|| "3".into()),
        "inspector": appointment.as_ref().map(|a| a.staff_name.clone()).unwrap_or_default(),
        "timezone": tenant.timezone,
    });
    let (stage, step) = state.db.tenant(&tenant.id).job_stage(&job).await?;
    let stage_view = serde_json::json!({
        "label": stage.label(),
        "tone": match stage { JobStage::Finished => "success", JobStage::Cancelled => "neutral", JobStage::OnTheWay | JobStage::Started => "info", JobStage::Scheduled => "neutral" },
        "since": step.map(|step| format!("since {} · {}", formats.moment(step.at), step.by_name)),
        "next": stage.next().iter().map(|next| serde_json::json!({
            "value": next.as_str(),
            "label": next.action(),
            // Cancelling tells nobody and stops the day: ask first.
            "confirm": (*next == JobStage::Cancelled).then_some("The job is marked cancelled on the console and on the client's portal. Nobody is e-mailed; you can schedule it again later."),
            "yes": "Yes, cancel the job",
        })).collect::<Vec<_>>(),
    });
    let notes: Vec<serde_json::Value> = state
        .db
        .tenant(&tenant.id)
        .job_notes(job_id, true)
        .await?
        .into_iter()
        .map(|note| serde_json::json!({ "body": note.body, "by": note.by_name, "at": formats.moment(note.created_at), "for_clients": note.for_clients() }))
        .collect();
    // The sections' panel; a message about one of its cards goes in that card.
    let flash: Option<crate::section_cards::Flash> = crate::sessions::take_flash(state, &session.row).await?;
    let (panel, flash) = super::section_surfaces::job_panel(state, &tenant, &session, job_id, flash).await?;
    let crew = state.db.tenant(&tenant.id).job_crew(job_id).await?;
    let crew_view = serde_json::json!({
        "members": crew.iter().map(|m| serde_json::json!({ "id": m.staff_user_id, "name": m.name, "role": m.role.label() })).collect::<Vec<_>>(),
        "choices": state.db.tenant(&tenant.id).staff_users().await?.into_iter()
            .filter(|user| !crew.iter().any(|m| m.staff_user_id == user.id))
            .map(|user| serde_json::json!({ "id": user.id, "name": user.display_name, "role": user.role.label() }))
            .collect::<Vec<_>>(),
    });
    let conversations = if session.may(Ability::Converse) {
        let me = portico_data::Party { kind: portico_data::PersonKind::Staff, id: &session.user.id, name: &session.user.display_name };
        let lines = state.db.tenant(&tenant.id).conversations(&portico_data::ConversationFilter::Job(job_id), me, None, 200).await?;
        let unread = lines.iter().filter(|line| line.unread() > 0).count();
        Some(serde_json::json!({ "count": lines.len(), "unread": unread, "href": format!("/staff/jobs/{job_id}/conversations") }))
    } else {
        None
    };
    let data = serde_json::json!({
        "conversations": conversations,
        "crew": crew_view,
        "flash": flash.map(|f| serde_json::json!({ "tone": f.tone, "message": f.message })),
        "panel": panel,
        "card_form": crate::section_cards::card_form(&crate::csrf::for_page(&session.row.csrf_token), &format!("/staff/jobs/{job_id}/actions"), "", false),
        "stage": stage_view,
        "notes": notes,
        "may_run": session.may(Ability::ManageJobs),
        "details": details,
        "documents": documents,
        "services": services,
        "business_tax": if tenant.tax_rate_bp == 0 { "none".to_string() } else { portico_core::estimates::tax_rate_label(tenant.tax_rate_bp) },
        "roles": roles,
        "job": {
            "id": job.id,
            "reference": job.reference,
            "status": job.status,
            "address": property.one_line(),
            "property": { "id": property.id, "title": property.title(), "kind": property.kind_label() },
            "public_url": format!("{}/jobs/{}", state.public_url, job.id),
        },
        "link_lifetime": match tenant.link_lifetime_days {
            Some(days) => format!("{days} days after they are issued"),
            None => "forever (until replaced or revoked)".to_string(),
        },
        "people": people,
        "may_manage": session.may(Ability::ManageLinks),
        "access": access,
        "issued": issued,
        "invoices": super::payments::invoices_view(state, &tenant, job_id, &session).await?,
        "agreements": agreements_view(state, &tenant, job_id, &formats).await?,
        "add_ons": super::add_ons::requests_view(state, &tenant, job_id, &session).await?,
        "estimates": super::estimates::job_view(state, &tenant, job_id, &session).await?,
    });
    super::console_page(state, jar, session, "staff_job", &job.reference, data).await
}

/// The job's agreements: where each stands, who signed when, the signed copy.
async fn agreements_view(state: &AppState, tenant: &Tenant, job_id: &JobId, formats: &portico_core::formats::TenantFormats) -> Result<Vec<serde_json::Value>, WebError> {
    use portico_services::agreements::AgreementStatus;
    let agreements = portico_services::agreements::for_job(&state.db, tenant, job_id).await?;
    Ok(agreements
        .iter()
        .map(|agreement| {
            let awaiting: Vec<&str> = agreement.awaiting.iter().map(|c| c.name.as_str()).collect();
            let state = match agreement.status {
                AgreementStatus::NotNeeded => "Not needed (nobody on the job signs it)".to_string(),
                AgreementStatus::Signed => "Signed".to_string(),
                _ => format!("Awaiting {}", awaiting.join(", ")),
            };
            serde_json::json!({
                "title": agreement.title,
                "state": state,
                "signatures": agreement.signatures.iter().map(|s| format!("{} ({}), {}", s.signer_name, s.role.0.label(), formats.moment(s.signed_at))).collect::<Vec<_>>(),
                "pdf": agreement.locked_at.map(|_| format!("/staff/jobs/{job_id}/agreements/{}/pdf", agreement.template_id)),
            })
        })
        .collect())
}

async fn page(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(job_id): Path<JobId>) -> Result<Response, WebError> {
    session.require(Ability::ViewJobs)?;
    render(&state, jar, session, &job_id, None).await
}

/// The checks every link action makes: the form, the role, and that the
/// person is on this job of this tenant.
async fn person(
    state: &AppState,
    session: &StaffSession,
    csrf: &str,
    job_id: &JobId,
    person: &str,
) -> Result<(Tenant, portico_core::model::JobContact), WebError> {
    check_session(csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageLinks)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let contact = state.db.tenant(&tenant.id).job_contact_any_state(job_id, person).await?.ok_or(WebError::NotFound)?;
    Ok((tenant, contact))
}

async fn send(
    State(state): State<AppState>,
    session: StaffSession,
    Path((job_id, person_id)): Path<(JobId, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let (tenant, contact) = person(&state, &session, &form.csrf, &job_id, &person_id).await?;
    let (tone, message) = match state.links.send(&tenant, &contact, LinkMail::Invite, &super::actor(&session)).await? {
        Ok(email) => ("success", format!("A new link is on its way to {email}. The previous link no longer works.")),
        Err(refused) => ("danger", refused.explain(&contact.name)),
    };
    super::notice(&state, &session, tone, &message).await?;
    Ok(Redirect::to(&format!("/staff/jobs/{job_id}")).into_response())
}

async fn rotate(
    State(state): State<AppState>,
    jar: CookieJar,
    session: StaffSession,
    Path((job_id, person_id)): Path<(JobId, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let (tenant, contact) = person(&state, &session, &form.csrf, &job_id, &person_id).await?;
    match state.links.issue(&tenant, &contact, &super::actor(&session)).await? {
        // Shown on this response only; a redirect would have to store it.
        Ok(issued) => {
            let shown = serde_json::json!({ "name": contact.name, "url": issued.url });
            render(&state, jar, session, &job_id, Some(shown)).await
        }
        Err(refused) => {
            super::notice(&state, &session, "danger", &refused.explain(&contact.name)).await?;
            Ok(Redirect::to(&format!("/staff/jobs/{job_id}")).into_response())
        }
    }
}

async fn revoke(
    State(state): State<AppState>,
    session: StaffSession,
    Path((job_id, person_id)): Path<(JobId, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let (tenant, contact) = person(&state, &session, &form.csrf, &job_id, &person_id).await?;
    state.links.revoke(&tenant, &contact, &super::actor(&session)).await?;
    let message = format!("{} can no longer open this job. Making or sending a new link gives access back.", contact.name);
    super::notice(&state, &session, "success", &message).await?;
    Ok(Redirect::to(&format!("/staff/jobs/{job_id}")).into_response())
}

#[derive(serde::Deserialize)]
struct PreviewQuery {
    tab: Option<String>,
}

/// "Open portal as {role}": the job page exactly as one person on the job
/// sees it, rendered by their sections with `preview` set, so that every
/// action is disabled, no host call may change anything, and nothing is
/// recorded as theirs (no session, no access log, no audit entry).
async fn preview(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    session: StaffSession,
    Path((job_id, person)): Path<(JobId, String)>,
    axum::extract::Query(query): axum::extract::Query<PreviewQuery>,
) -> Result<Response, WebError> {
    session.require(Ability::ViewJobs)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let on_job = state.db.tenant(&tenant.id).job_contact_any_state(&job_id, &person).await?.ok_or(WebError::NotFound)?;
    let audience = portico_sections::Audience {
        tenant_id: tenant.id.clone(),
        surface: portico_sections::Surface::JobPage,
        job_id: Some(job_id.clone()),
        viewer: crate::portal::viewer(&on_job),
        origin: crate::client::origin(peer, &headers),
        preview: true,
        memo: None,
    };
    let view = crate::portal::page::PortalView {
        db: &state.db.snapshot(),
        tenant: &tenant,
        on_job: &on_job,
        audience: &audience,
        base_url: format!("/staff/jobs/{job_id}/preview/{person}"),
        // No portal form may be posted from a preview.
        csrf: "",
        tab: query.tab.as_deref(),
    };
    let body = crate::portal::page::render_portal(&state, view, None).await?;
    let no_store = [(axum::http::header::CACHE_CONTROL, "no-store")];
    Ok((no_store, axum::response::Html(body)).into_response())
}
