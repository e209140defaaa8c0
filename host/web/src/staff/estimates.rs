//! Estimates on the console: the job page lists them (with each answer and
//! its evidence); owners and office staff write one on its own page, send
//! it to the job's clients, and withdraw it while it is unanswered.

use super::roles::Ability;
use crate::app::AppState;
use crate::error::WebError;
use crate::sessions::StaffSession;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use portico_core::estimates::{tax_rate_label, EstimateStatus};
use portico_core::formats::{Formats as _, TenantFormats};
use portico_core::ids::JobId;
use portico_core::model::Tenant;
use portico_services::estimates::{DraftLine, EstimateDraft, EstimateError};
use portico_services::Problem;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/jobs/{job_id}/estimates", get(blank).post(write))
        .route("/staff/jobs/{job_id}/estimates/{estimate_id}/send", post(send))
        .route("/staff/jobs/{job_id}/estimates/{estimate_id}/withdraw", post(withdraw))
}

/// Rows the form offers; blank ones are skipped.
const FORM_ROWS: usize = 8;

/// The job's estimates for its console page, drafts included.
pub async fn job_view(state: &AppState, tenant: &Tenant, job_id: &JobId, session: &StaffSession) -> Result<serde_json::Value, WebError> {
    let formats = TenantFormats::new(tenant);
    let views = state.estimates.of_jobs(tenant, std::slice::from_ref(job_id), true).await?;
    // Where the client answered from is for those who read the access log.
    let reads_access_log = session.may(Ability::ReadAccessLog);
    let list: Vec<serde_json::Value> = views
        .iter()
        .map(|view| {
            let estimate = &view.estimate;
            let state = match estimate.status {
                EstimateStatus::Sent if view.expired => "Expired unanswered".to_string(),
                EstimateStatus::Sent => format!("Sent; awaiting the client's answer until {}", formats.day(estimate.expires_at)),
                other => other.label().to_string(),
            };
            json!({
                "id": estimate.id,
                "number": estimate.number,
                "title": estimate.title,
                "state": state,
                "message": estimate.message,
                "lines": view.lines.iter().map(|line| json!({
                    "description": line.description,
                    "quantity": line.quantity,
                    "price": formats.money(line.unit_price_minor),
                    "amount": formats.money(line.priced().amount()),
                    "tax": (line.tax_rate_bp > 0).then(|| tax_rate_label(line.tax_rate_bp)),
                    "optional": line.optional(),
                    "chosen": line.chosen(),
                })).collect::<Vec<_>>(),
                "subtotal": formats.money(view.totals.subtotal),
                "tax": formats.money(view.totals.tax),
                "total": formats.money(view.totals.total),
                "deposit": (estimate.deposit_percent > 0).then(|| format!("{}% ({})", estimate.deposit_percent, formats.money(view.totals.deposit))),
                "expires": formats.day(estimate.expires_at),
                "accepted": (estimate.status == EstimateStatus::Accepted).then(|| json!({
                    "by": estimate.decided_by_name,
                    "at": estimate.decided_at.map(|at| formats.moment(at)),
                    "ip": estimate.accepted_ip.as_ref().filter(|_| reads_access_log),
                    "browser": estimate.accepted_user_agent.as_ref().filter(|_| reads_access_log),
                    "sha256": estimate.accepted_sha256,
                })),
                "declined": (estimate.status == EstimateStatus::Declined).then(|| json!({
                    "by": estimate.decided_by_name,
                    "at": estimate.decided_at.map(|at| formats.moment(at)),
                    "reason": estimate.decline_reason,
                })),
                "may_send": estimate.status == EstimateStatus::Draft && !view.expired,
                "may_withdraw": matches!(estimate.status, EstimateStatus::Draft | EstimateStatus::Sent),
            })
        })
        .collect();
    Ok(json!({ "list": list, "may_write": session.may(Ability::ManageJobs) }))
}

/// What the form shows: what was typed, and the problems beside their inputs.
/// Rows past those typed start with the business's tax rate (`usual_tax`).
fn form_data(job_id: &JobId, reference: &str, draft: &EstimateDraft, problems: &[Problem], usual_tax: &str) -> serde_json::Value {
    let said = |field: &str| problems.iter().find(|p| p.field == field).map(|p| p.message.clone());
    let rows: Vec<serde_json::Value> = (0..FORM_ROWS.max(draft.lines.len()))
        .map(|index| {
            let line = draft.lines.get(index).cloned().unwrap_or_else(|| DraftLine { tax_rate: usual_tax.to_string(), ..DraftLine::default() });
            json!({
                "n": index + 1,
                "description": line.description,
                "quantity": if line.quantity.is_empty() { "1".to_string() } else { line.quantity },
                "price": line.unit_price,
                "tax": line.tax_rate,
                "optional": line.optional,
                "error": said(&format!("line-{}", index + 1)),
            })
        })
        .collect();
    json!({
        "job": { "id": job_id, "reference": reference },
        "draft": {
            "title": draft.title,
            "message": draft.message,
            "expires_on": draft.expires_on,
            "deposit_percent": draft.deposit_percent,
        },
        "rows": rows,
        "errors": {
            "title": said("title"),
            "message": said("message"),
            "expires_on": said("expires_on"),
            "deposit_percent": said("deposit_percent"),
            "lines": said("lines"),
        },
        "problems": problems.iter().map(|p| json!({ "message": p.message, "field": p.field })).collect::<Vec<_>>(),
    })
}

async fn form_page(state: &AppState, jar: CookieJar, session: StaffSession, job_id: &JobId, draft: &EstimateDraft, problems: &[Problem]) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let job = state.db.tenant(&tenant.id).job(job_id).await?.ok_or(WebError::NotFound)?;
    let data = form_data(job_id, &job.reference, draft, problems, &portico_core::estimates::rate_input(tenant.tax_rate_bp));
    let mut response = super::console_page(state, jar, session, "staff_estimate", &format!("New estimate for {}", job.reference), data).await?;
    if !problems.is_empty() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `GET /staff/jobs/{id}/estimates`: a blank estimate, valid for 30 days,
/// its lines started from the job's services.
async fn blank(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(job_id): Path<JobId>) -> Result<Response, WebError> {
    session.require(Ability::ManageJobs)?;
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let services = state.db.tenant(&tenant.id).services(&job_id).await?;
    let zone = jiff::tz::TimeZone::get(&tenant.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let in_a_month = jiff::Timestamp::now().to_zoned(zone).date().checked_add(jiff::Span::new().days(30)).map(|day| day.to_string()).unwrap_or_default();
    let draft = EstimateDraft {
        expires_on: in_a_month,
        lines: services
            .iter()
            .map(|service| DraftLine {
                description: service.name.clone(),
                quantity: "1".into(),
                unit_price: format!("{}.{:02}", service.price_minor / 100, service.price_minor % 100),
                tax_rate: portico_core::estimates::rate_input(service.tax_rate(tenant.tax_rate_bp)),
                optional: false,
            })
            .collect(),
        ..EstimateDraft::default()
    };
    form_page(&state, jar, session, &job_id, &draft, &[]).await
}

/// The form as posted: `title`, `message`, `expires_on`, `deposit_percent`,
/// and per row N `description-N`, `quantity-N`, `price-N`, `tax-N`, `optional-N`.
fn read_form(fields: &[(String, String)]) -> (String, EstimateDraft) {
    let get = |name: &str| fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone()).unwrap_or_default();
    let rows = fields
        .iter()
        .filter_map(|(key, _)| key.strip_prefix("description-").and_then(|n| n.parse::<usize>().ok()))
        .max()
        .unwrap_or(0)
        .min(portico_services::estimates::MAX_LINES + FORM_ROWS);
    let lines = (1..=rows)
        .map(|n| DraftLine {
            description: get(&format!("description-{n}")),
            quantity: get(&format!("quantity-{n}")),
            unit_price: get(&format!("price-{n}")),
            tax_rate: get(&format!("tax-{n}")),
            optional: fields.iter().any(|(key, _)| *key == format!("optional-{n}")),
        })
        .collect();
    let draft = EstimateDraft { title: get("title"), message: get("message"), expires_on: get("expires_on"), deposit_percent: get("deposit_percent"), lines };
    (get("csrf"), draft)
}

/// `POST /staff/jobs/{id}/estimates`: keep the draft, or show the form again
/// with what was typed and each problem beside its input.
async fn write(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(job_id): Path<JobId>, Form(fields): Form<Vec<(String, String)>>) -> Result<Response, WebError> {
    let (csrf, mut draft) = read_form(&fields);
    let tenant = super::acting(&state, &session, &csrf, Ability::ManageJobs).await?;
    // "Add more lines": the same form with more rows, nothing saved yet.
    if fields.iter().any(|(key, _)| key == "more") {
        let more = (draft.lines.len() + FORM_ROWS).min(portico_services::estimates::MAX_LINES);
        let usual = portico_core::estimates::rate_input(tenant.tax_rate_bp);
        draft.lines.resize_with(more.max(draft.lines.len()), || DraftLine { tax_rate: usual.clone(), ..DraftLine::default() });
        return form_page(&state, jar, session, &job_id, &draft, &[]).await;
    }
    match state.estimates.write(&tenant, &job_id, &draft, &super::actor(&session)).await {
        Ok((_, number)) => {
            super::notice(&state, &session, "success", &format!("Estimate {number} is saved as a draft. Check it, then send it to the client.")).await?;
            Ok(Redirect::to(&format!("/staff/jobs/{job_id}#estimates")).into_response())
        }
        Err(EstimateError::Invalid(problems)) => form_page(&state, jar, session, &job_id, &draft, &problems).await,
        Err(error) => Err(estimate_error(error)),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ActForm {
    csrf: String,
}

/// `POST /staff/jobs/{id}/estimates/{estimate}/send`
async fn send(State(state): State<AppState>, session: StaffSession, Path((job_id, estimate_id)): Path<(JobId, String)>, Form(form): Form<ActForm>) -> Result<Response, WebError> {
    let tenant = super::acting(&state, &session, &form.csrf, Ability::ManageJobs).await?;
    match state.estimates.send(&tenant, &job_id, &estimate_id, &super::actor(&session)).await {
        Ok(view) => {
            let message = format!("Estimate {} is sent: the clients were e-mailed and can answer it on their portal.", view.estimate.number);
            super::notice(&state, &session, "success", &message).await?
        }
        Err(EstimateError::Refused(reason)) => super::notice(&state, &session, "danger", &reason).await?,
        Err(error) => return Err(estimate_error(error)),
    }
    Ok(Redirect::to(&format!("/staff/jobs/{job_id}#estimates")).into_response())
}

/// `POST /staff/jobs/{id}/estimates/{estimate}/withdraw`
async fn withdraw(State(state): State<AppState>, session: StaffSession, Path((job_id, estimate_id)): Path<(JobId, String)>, Form(form): Form<ActForm>) -> Result<Response, WebError> {
    let tenant = super::acting(&state, &session, &form.csrf, Ability::ManageJobs).await?;
    match state.estimates.withdraw(&tenant, &job_id, &estimate_id, &super::actor(&session)).await {
        Ok(()) => super::notice(&state, &session, "success", "The estimate is withdrawn; the clients can no longer accept it.").await?,
        Err(EstimateError::Refused(reason)) => super::notice(&state, &session, "danger", &reason).await?,
        Err(error) => return Err(estimate_error(error)),
    }
    Ok(Redirect::to(&format!("/staff/jobs/{job_id}#estimates")).into_response())
}

fn estimate_error(error: EstimateError) -> WebError {
    match error {
        EstimateError::NotFound => WebError::NotFound,
        EstimateError::Refused(reason) => WebError::BadRequest(reason),
        EstimateError::Invalid(problems) => WebError::BadRequest(problems.into_iter().map(|p| p.message).collect::<Vec<_>>().join(" ")),
        EstimateError::Db(error) => error.into(),
    }
}
