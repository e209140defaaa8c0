//! The team: owners add staff (who get an e-mail to choose a password),
//! change roles and remove people. The last owner cannot be demoted or
//! removed, and nobody removes themselves.

use portico_core::ids::TenantId;
use super::roles::Ability;
use portico_core::model::StaffRole;
use crate::app::AppState;
use crate::csrf::{check_session, CsrfForm};
use portico_data::AuditEntry;
use crate::error::WebError;
use crate::sessions::StaffSession;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/team", get(page).post(add))
        .route("/staff/team/{member}/role", post(change_role))
        .route("/staff/team/{member}/remove", post(remove))
}

async fn render(
    state: &AppState,
    jar: CookieJar,
    session: StaffSession,
    form: Option<&AddForm>,
    error: Option<&str>,
) -> Result<Response, WebError> {
    let members: Vec<serde_json::Value> = state
        .db
        .tenant(&session.row.tenant_id)
        .staff_users()
        .await?
        .into_iter()
        .map(|member| {
            let choices: Vec<serde_json::Value> = StaffRole::ALL
                .iter()
                .map(|role| serde_json::json!({ "value": role.as_str(), "label": role.label(), "selected": *role == member.role }))
                .collect();
            serde_json::json!({
                "id": member.id,
                "name": member.display_name,
                "email": member.email,
                "me": member.id == session.user.id,
                "roles": choices,
            })
        })
        .collect();
    let data = serde_json::json!({
        "members": members,
        "error": error,
        // An empty form before the first attempt: the page always has one.
        "form": serde_json::json!({ "name": form.map(|f| f.name.as_str()).unwrap_or_default(), "email": form.map(|f| f.email.as_str()).unwrap_or_default() }),
    });
    super::console_page(state, jar, session, "staff_team", "Team", data).await
}

async fn page(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::ManageTeam)?;
    render(&state, jar, session, None, None).await
}

#[derive(Deserialize)]
struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

fn audit(session: &StaffSession, action: &str, summary: String) -> AuditEntry {
    AuditEntry::new(&session.row.tenant_id, action, &summary).by(super::actor(session))
}

async fn add(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Form(form): Form<AddForm>) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageTeam)?;
    let tenant_id = session.row.tenant_id.clone();
    let name = form.name.trim();
    let email = portico_core::email::normalize_email(&form.email);
    let role = form.role.parse::<StaffRole>();
    let problem = if name.is_empty() || name.len() > 120 {
        Some("Give a name of at most 120 characters.")
    } else if role.is_err() {
        Some("Choose a role: owner, office or employee.")
    } else if email.is_none() {
        Some("Please enter a valid e-mail address.")
    } else {
        None
    };
    let (None, Some(email), Ok(role)) = (problem, email, role) else {
        return render(&state, jar, session, Some(&form), problem).await;
    };
    if state.db.tenant(&tenant_id).is_staff_email(&email).await? {
        return render(&state, jar, session, Some(&form), Some("Someone on the team already has that address.")).await;
    }
    // Nobody knows this password: the member chooses theirs from the e-mail.
    let placeholder = portico_core::passwords::hash_off_thread(portico_core::tokens::new_token()).await?;
    let id = state.db.tenant(&tenant_id).create_staff_user(&email, name, role, &placeholder).await?;
    let member = state.db.tenant(&tenant_id).staff_user(&id).await?.ok_or(WebError::NotFound)?;
    let tenant = state.db.tenant(&tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let extra = serde_json::json!({ "inviter": session.user.display_name, "role": role.label(), "business": tenant.name });
    super::reset::send_password_link(&state, &member, "staff-invite", super::reset::INVITE_MINUTES, extra).await?;
    state.db.record_audit(&audit(&session, "staff.added", format!("Added {name} as {}", role.label()))).await?;
    super::notice(&state, &session, "success", &format!("{name} is on the team; an invitation is on its way to {email}.")).await?;
    Ok(Redirect::to("/staff/team").into_response())
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// Whether taking `member` away from the owners would leave none.
async fn last_owner(state: &AppState, tenant_id: &TenantId, member: &portico_data::StaffUser) -> Result<bool, WebError> {
    if member.role != StaffRole::Owner {
        return Ok(false);
    }
    let owners = state.db.tenant(tenant_id).staff_users().await?.into_iter().filter(|m| m.role == StaffRole::Owner).count();
    Ok(owners <= 1)
}

async fn change_role(
    State(state): State<AppState>,
    session: StaffSession,
    Path(member_id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageTeam)?;
    let tenant_id = session.row.tenant_id.clone();
    let member = state.db.tenant(&tenant_id).staff_user(&member_id).await?.ok_or(WebError::NotFound)?;
    let Ok(role) = form.role.parse::<StaffRole>() else {
        return Err(WebError::BadRequest("Choose a role: owner, office or employee.".into()));
    };
    if role != StaffRole::Owner && last_owner(&state, &tenant_id, &member).await? {
        super::notice(&state, &session, "danger", "The business needs at least one owner; make someone else owner first.").await?;
        return Ok(Redirect::to("/staff/team").into_response());
    }
    state.db.tenant(&tenant_id).set_staff_role(&member.id, role).await?;
    let summary = format!("Made {} {}", member.display_name, role.label());
    state.db.record_audit(&audit(&session, "staff.role-changed", summary.clone())).await?;
    super::notice(&state, &session, "success", &format!("{summary}.")).await?;
    Ok(Redirect::to("/staff/team").into_response())
}

async fn remove(
    State(state): State<AppState>,
    session: StaffSession,
    Path(member_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageTeam)?;
    let tenant_id = session.row.tenant_id.clone();
    let member = state.db.tenant(&tenant_id).staff_user(&member_id).await?.ok_or(WebError::NotFound)?;
    if member.id == session.user.id || last_owner(&state, &tenant_id, &member).await? {
        super::notice(&state, &session, "danger", "You cannot remove yourself or the last owner.").await?;
        return Ok(Redirect::to("/staff/team").into_response());
    }
    state.db.tenant(&tenant_id).remove_staff_user(&member.id).await?;
    state.db.record_audit(&audit(&session, "staff.removed", format!("Removed {} from the team", member.display_name))).await?;
    super::notice(&state, &session, "success", &format!("{} is no longer on the team.", member.display_name)).await?;
    Ok(Redirect::to("/staff/team").into_response())
}
