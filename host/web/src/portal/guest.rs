//! Guests: a visitor on a job's public link (`/jobs/{id}`) without a session
//! that reaches the job sees a limited view with a clear banner, and can ask
//! for full access by e-mail. Nothing personal is shown, no section runs, and
//! no action is possible.

use portico_core::ids::JobId;
use crate::app::AppState;
use crate::error::WebError;
use portico_core::model::Tenant;
use portico_core::formats::Formats as _;
use portico_services::rate_limit;
use crate::signin::proof;
use portico_core::email::normalize_email;
use portico_core::formats::TenantFormats;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use std::net::SocketAddr;

const FORM_PATH: &str = "/jobs";

/// The business a job belongs to; 404 for an unknown job.
async fn tenant_of_job(state: &AppState, job_id: &JobId) -> Result<Tenant, WebError> {
    let tenant_id = state.db.job_tenant(job_id).await?.ok_or(WebError::NotFound)?;
    state.db.tenant(&tenant_id).business().await?.ok_or(WebError::NotFound)
}

/// The guest view of `job_id`, with an optional answer to a request for access.
async fn render(
    state: &AppState,
    jar: CookieJar,
    tenant: &Tenant,
    job_id: &JobId,
    sent: Option<String>,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let job = state.db.tenant(&tenant.id).job(job_id).await?.ok_or(WebError::NotFound)?;
    let property = state.db.tenant(&tenant.id).property(&job.property_id).await?;
    let appointments = state.db.tenant(&tenant.id).appointments(job_id).await?;
    let formats = TenantFormats::new(tenant);
    let data = serde_json::json!({
        "title": format!("{} · {}", property.line1, tenant.name),
        "brand_css": crate::view::brand_css(tenant),
        "tenant": crate::view::tenant_view(tenant),
        "job": {
            "id": job.id,
            "address": property.one_line(),
            "status": job.status.replace('-', " "),
            "appointment": appointments.iter().find(|a| a.status != "cancelled").map(|a| formats.moment(a.starts_at)),
        },
        "sent": sent,
        "error": error,
    });
    crate::csrf::form_page(jar, FORM_PATH, status, "guest", data)
}

/// `GET /jobs/{id}` for a visitor the job's sections are not for.
pub async fn guest_page(state: &AppState, jar: CookieJar, job_id: &JobId, peer: SocketAddr, headers: &HeaderMap) -> Result<Response, WebError> {
    let tenant = tenant_of_job(state, job_id).await?;
    let origin = crate::client::origin(peer, headers);
    state
        .access_log
        .record(portico_data::NewAccess {
            tenant_id: tenant.id.clone(),
            job_id: job_id.clone(),
            contact_id: None,
            session_id: None,
            role: "guest".into(),
            via: "public link".into(),
            ip: origin.ip,
            user_agent: origin.user_agent,
            at: portico_core::model::now(),
        })
        .await;
    render(state, jar, &tenant, job_id, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AccessForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// `POST /jobs/{id}/access`: "Get full access". An address on this job gets a
/// sign-in link that leads back here; every other address gets the same
/// answer and no mail.
pub async fn request_access(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(job_id): Path<JobId>,
    Form(form): Form<AccessForm>,
) -> Result<Response, WebError> {
    crate::csrf::check_cookie(&jar, &form.csrf)?;
    let tenant = tenant_of_job(&state, &job_id).await?;
    let Some(email) = normalize_email(&form.email) else {
        return render(&state, jar, &tenant, &job_id, None, Some("Please enter a valid e-mail address."), StatusCode::BAD_REQUEST).await;
    };
    let origin = crate::client::origin(peer, &headers);
    rate_limit::check(&state.db, Some(&tenant.id), &rate_limit::MAIL_PER_IP, &origin.ip).await?;
    rate_limit::check(&state.db, Some(&tenant.id), &rate_limit::MAIL_PER_ADDRESS, &email).await?;
    let contact = state.db.tenant(&tenant.id).contact_on_job(&job_id, &email).await?;
    proof::send_magic_link(&state, &tenant, &email, contact.as_ref(), Some(&job_id)).await?;
    let sent = format!(
        "If {email} is on this job, we have e-mailed it a sign-in link. It works once, for {} minutes.",
        proof::MAGIC_LINK_MINUTES
    );
    render(&state, jar, &tenant, &job_id, Some(sent), None, StatusCode::OK).await
}
