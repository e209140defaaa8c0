//! `GET /staff`: the console's home. The business's jobs, with when each is
//! and where it stands (signed, paid, report released, requests waiting),
//! searched, filtered and paged; then the sections' health and the latest
//! activity.

use super::{console_page, roles};
use crate::app::AppState;
use crate::error::WebError;
use crate::sessions::StaffSession;
use axum::extract::{Query, State};
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use portico_core::formats::{Formats as _, TenantFormats};
use portico_core::model::Tenant;
use portico_data::{BoardFilter, BoardQuery, BoardRow};
use portico_services::standing::{standings, PaymentStep, ReportStep, Standing, Step};
use serde::{Deserialize, Serialize};

const JOBS_PER_PAGE: u32 = 25;
/// Longer searches are cut: no reference, address or name is this long.
const MAX_SEARCH: usize = 100;

/// The home's address bar: `?q=elm&show=unpaid&page=2`. Anything malformed
/// falls back to the first page of all jobs rather than failing.
#[derive(Deserialize, Default)]
pub(super) struct HomeQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    show: String,
    #[serde(default)]
    page: String,
}

#[derive(Serialize)]
struct Chip {
    label: String,
    tone: &'static str,
}

#[derive(Serialize)]
struct FilterLink {
    label: &'static str,
    href: String,
    current: bool,
}

pub(super) async fn home(
    State(state): State<AppState>,
    jar: CookieJar,
    session: StaffSession,
    Query(query): Query<HomeQuery>,
) -> Result<Response, WebError> {
    session.require(roles::Ability::ViewJobs)?;
    let tenant_id = session.row.tenant_id.clone();
    let tenant = state.db.tenant(&tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let formats = TenantFormats::new(&tenant);
    // Cut, not clamped: an added "…" would match nothing.
    let search: String = query.q.trim().chars().take(MAX_SEARCH).collect();
    let filter = BoardFilter::from_slug(&query.show).unwrap_or_default();
    let asked_page = query.page.trim().parse::<u32>().ok().filter(|page| *page >= 1).unwrap_or(1);
    let mut board = BoardQuery { search: &search, filter, page: asked_page - 1, per_page: JOBS_PER_PAGE, now: portico_core::model::now() };
    let mut found = state.db.tenant(&tenant_id).job_board(&board).await?;
    let pages = u32::try_from(found.total).unwrap_or(u32::MAX).div_ceil(JOBS_PER_PAGE).max(1);
    if board.page >= pages {
        // A page past the end (the list got shorter): the last page.
        board.page = pages - 1;
        found = state.db.tenant(&tenant_id).job_board(&board).await?;
    }
    let listed: Vec<_> = found.rows.iter().map(|row| row.id.clone()).collect();
    let standings = standings(&state.db, &tenant, &listed).await?;
    let jobs: Vec<serde_json::Value> = found.rows.iter().zip(&standings).map(|(row, standing)| job_row(row, standing, &formats)).collect();

    let href = |filter: BoardFilter, page: u32| home_href(&search, filter, page);
    let filters: Vec<FilterLink> =
        BoardFilter::ALL.into_iter().map(|f| FilterLink { label: f.label(), href: href(f, 1), current: f == filter }).collect();
    let page = board.page + 1;
    let data = serde_json::json!({
        "q": search,
        "show": filter.slug(),
        "filters": filters,
        "summary": summary(&search, filter, found.total, board.page, found.rows.len()),
        "jobs": jobs,
        "paging": (pages > 1).then(|| serde_json::json!({
            "label": format!("Page {page} of {pages}"),
            "previous": (page > 1).then(|| href(filter, page - 1)),
            "next": (page < pages).then(|| href(filter, page + 1)),
        })),
        "sections": sections(&state, &tenant).await?,
        "activity": activity(&state, &tenant, &formats).await?,
        "signin_url": format!("{}{}", state.public_url, crate::view::signin_path(&tenant)),
    });
    console_page(&state, jar, session, "staff_home", "Jobs", data).await
}

/// The home's address for a search, filter and page (1-based).
fn home_href(search: &str, filter: BoardFilter, page: u32) -> String {
    let mut params = url::form_urlencoded::Serializer::new(String::new());
    if !search.is_empty() {
        params.append_pair("q", search);
    }
    if filter != BoardFilter::All {
        params.append_pair("show", filter.slug());
    }
    if page > 1 {
        params.append_pair("page", &page.to_string());
    }
    let params = params.finish();
    if params.is_empty() { "/staff".into() } else { format!("/staff?{params}") }
}

/// "Showing 26–50 of 60 unpaid jobs matching “elm”."
fn summary(search: &str, filter: BoardFilter, total: i64, page: u32, shown: usize) -> String {
    let jobs = if total == 1 { "job" } else { "jobs" };
    let kind = match filter {
        BoardFilter::All => jobs.to_string(),
        BoardFilter::Upcoming => format!("upcoming {jobs}"),
        BoardFilter::NeedsAction => format!("{jobs} needing action"),
        BoardFilter::Unpaid => format!("unpaid {jobs}"),
    };
    let matching = if search.is_empty() { String::new() } else { format!(" matching “{search}”") };
    if total == 0 {
        return format!("No {kind}{matching}.");
    }
    if total <= i64::from(JOBS_PER_PAGE) {
        return format!("{total} {kind}{matching}.");
    }
    let first = i64::from(page) * i64::from(JOBS_PER_PAGE) + 1;
    let last = first + shown as i64 - 1;
    format!("Showing {first}–{last} of {total} {kind}{matching}.")
}

fn job_row(row: &BoardRow, standing: &Standing, formats: &TenantFormats) -> serde_json::Value {
    let people: Vec<String> = standing.people.iter().map(|person| format!("{} ({})", person.name, person.role.0.label())).collect();
    serde_json::json!({
        "id": row.id,
        "reference": row.reference,
        "address": format!("{}, {}", row.line1, row.city),
        "appointment": row.appointment_at.map(|at| formats.moment(at)),
        "cancelled": row.status == "cancelled",
        "people": people.join(", "),
        "chips": chips(standing, formats),
    })
}

/// Where the job stands, as chips the office reads across a row.
fn chips(standing: &Standing, formats: &TenantFormats) -> Vec<Chip> {
    let chip = |label: String, tone| Chip { label, tone };
    let mut chips = Vec::new();
    match standing.signed {
        Step::Done => chips.push(chip("Signed".into(), "success")),
        Step::Waiting => chips.push(chip("Not signed".into(), "warning")),
        Step::NotNeeded => {}
    }
    chips.push(match standing.payment {
        PaymentStep::Settled => chip("Paid".into(), "success"),
        PaymentStep::Owed(minor) => chip(format!("{} due", formats.money(minor)), "warning"),
        PaymentStep::Processing => chip("Payment processing".into(), "neutral"),
        PaymentStep::Refunded => chip("Refunded".into(), "neutral"),
        PaymentStep::NoInvoice => chip("No invoice".into(), "neutral"),
    });
    chips.extend(waiting(standing.payments_to_approve, "payment to approve", "payments to approve"));
    chips.push(match standing.report {
        ReportStep::Released => chip("Report released".into(), "success"),
        ReportStep::Held => chip("Report held".into(), "warning"),
        ReportStep::NotPublished => chip("No report yet".into(), "neutral"),
    });
    chips.extend(waiting(standing.requests_waiting, "request waiting", "requests waiting"));
    chips
}

/// "1 request waiting", "3 requests waiting": something the office must
/// answer; nothing when there is none.
fn waiting(count: usize, one: &str, many: &str) -> Option<Chip> {
    let label = match count {
        0 => return None,
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    };
    Some(Chip { label, tone: "danger" })
}

/// Each section's state and failures, so a failing one is seen.
async fn sections(state: &AppState, tenant: &Tenant) -> Result<Vec<serde_json::Value>, WebError> {
    Ok(state
        .db
        .tenant(&tenant.id)
        .installations()
        .await?
        .into_iter()
        .map(|installation| {
            serde_json::json!({
                "plugin": installation.plugin_id,
                "state": if installation.enabled != 0 { "Enabled" } else { "Disabled" },
                "failures": installation.failures,
                "last_error": installation.last_error.unwrap_or_default(),
            })
        })
        .collect())
}

/// The latest audit entries.
async fn activity(state: &AppState, tenant: &Tenant, formats: &TenantFormats) -> Result<Vec<serde_json::Value>, WebError> {
    Ok(state
        .db
        .tenant(&tenant.id)
        .audit_log(50)
        .await?
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "at": formats.moment(e.created_at),
                "actor": e.actor_name,
                "summary": e.summary,
                // A section's own words are never shown as the host's.
                "written_by_section": (e.written_by == "section").then(|| e.plugin_id.clone().unwrap_or_default()),
                "origin": format!("{} · {}", e.ip, portico_core::text::clamp(&e.user_agent, 60)),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_search_and_filter_and_leave_defaults_out() {
        assert_eq!(home_href("", BoardFilter::All, 1), "/staff");
        assert_eq!(home_href("elm & oak", BoardFilter::Unpaid, 2), "/staff?q=elm+%26+oak&show=unpaid&page=2");
    }

    #[test]
    fn the_summary_counts_what_is_shown() {
        assert_eq!(summary("", BoardFilter::All, 60, 1, 25), "Showing 26–50 of 60 jobs.");
        assert_eq!(summary("elm", BoardFilter::Unpaid, 0, 0, 0), "No unpaid jobs matching “elm”.");
        assert_eq!(summary("", BoardFilter::Upcoming, 1, 0, 1), "1 upcoming job.");
    }
}
