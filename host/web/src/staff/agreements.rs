//! The business's agreements and report release: templates with placeholders
//! (who signs, which services need them), the consent to electronic signature
//! signers accept, and when published reports reach the people on the job.
//! Owners only.

use super::roles::Ability;
use portico_services::agreements::placeholders::{self, PLACEHOLDERS};
use crate::app::AppState;
use portico_data::{AgreementSettings, AgreementTemplate, TemplateFields};
use portico_core::model::ReleaseRule;
use crate::error::WebError;
use portico_core::model::{Role, DEFAULT_ESIGN_CONSENT};
use crate::sessions::StaffSession;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

/// The roles that can be asked to sign: the people on a job.
const SIGNER_ROLES: [Role; 4] = [Role::Client, Role::CoClient, Role::BuyerAgent, Role::ListingAgent];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/agreements", get(page).post(save_settings))
        .route("/staff/agreements/new", get(new_template).post(create_template))
        .route("/staff/agreements/{template_id}", get(edit_template).post(update_template))
}

async fn render(state: &AppState, jar: CookieJar, session: StaffSession, error: Option<&str>) -> Result<Response, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    let templates: Vec<serde_json::Value> = state
        .db
        .tenant(&tenant.id)
        .agreement_templates()
        .await?
        .iter()
        .map(|t| {
            let services = t.services();
            serde_json::json!({
                "id": t.id,
                "title": t.title,
                "active": t.active != 0,
                "signers": t.signer_roles().iter().map(|r| r.label()).collect::<Vec<_>>().join(", "),
                "services": if services.is_empty() { "Every job".to_string() } else { services.join(", ") },
            })
        })
        .collect();
    let release: Vec<serde_json::Value> = ReleaseRule::ALL
        .iter()
        .map(|rule| serde_json::json!({ "value": rule.as_str(), "label": rule.label(), "checked": *rule == tenant.report_release }))
        .collect();
    let data = serde_json::json!({
        "error": error,
        "templates": templates,
        "release": release,
        "summary_while_held": tenant.summary_while_held != 0,
        "consent": tenant.esign_consent.clone().unwrap_or_default(),
        "default_consent": DEFAULT_ESIGN_CONSENT,
    });
    super::console_page(state, jar, session, "staff_agreements", "Agreements & reports", data).await
}

async fn page(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::ManageSettings)?;
    render(&state, jar, session, None).await
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    report_release: String,
    #[serde(default)]
    summary_while_held: Option<String>,
    #[serde(default)]
    consent: String,
}

async fn save_settings(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Form(form): Form<SettingsForm>) -> Result<Response, WebError> {
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageSettings)?;
    let Ok(report_release) = form.report_release.parse::<ReleaseRule>() else {
        return render(&state, jar, session, Some("Choose when reports are released.")).await;
    };
    let consent = form.consent.replace("\r\n", "\n");
    let consent = consent.trim();
    if consent.len() > 4000 {
        return render(&state, jar, session, Some("The consent to electronic signature is limited to 4,000 characters.")).await;
    }
    let settings = AgreementSettings {
        esign_consent: Some(consent).filter(|text| !text.is_empty()),
        report_release,
        summary_while_held: form.summary_while_held.is_some(),
    };
    state.db.tenant(&session.row.tenant_id).set_agreement_settings(&settings).await?;
    let audit = portico_data::AuditEntry::new(&session.row.tenant_id, "settings.agreements", "Changed the signing consent and when reports are released")
        .by(super::actor(&session));
    state.db.record_audit(&audit).await?;
    super::notice(&state, &session, "success", "Saved. Every portal follows these settings now.").await?;
    Ok(Redirect::to("/staff/agreements").into_response())
}

/// What the template form shows: a stored template, or what was typed.
#[derive(Default)]
struct TemplateForm {
    csrf: String,
    title: String,
    body: String,
    /// One `signer_roles` pair per ticked box.
    signer_roles: Vec<String>,
    services: String,
    active: Option<String>,
}

impl TemplateForm {
    /// The submitted pairs (the signer boxes repeat one name).
    fn submitted(pairs: Vec<(String, String)>) -> TemplateForm {
        let mut form = TemplateForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "csrf" => form.csrf = value,
                "title" => form.title = value,
                "body" => form.body = value,
                "signer_roles" => form.signer_roles.push(value),
                "services" => form.services = value,
                "active" => form.active = Some(value),
                _ => {}
            }
        }
        form
    }

    fn of(template: &AgreementTemplate) -> TemplateForm {
        TemplateForm {
            csrf: String::new(),
            title: template.title.clone(),
            body: template.body.clone(),
            signer_roles: template.signer_roles().iter().map(|r| r.as_str().to_string()).collect(),
            services: template.services().join("\n"),
            active: (template.active != 0).then(|| "1".into()),
        }
    }

    /// The fields to store, or what to fix, in words for the editor.
    fn check(&self) -> Result<(String, Vec<Role>, Vec<String>), String> {
        let body = self.body.replace("\r\n", "\n");
        placeholders::validate(&self.title, &body)?;
        let roles: Vec<Role> = SIGNER_ROLES.into_iter().filter(|r| self.signer_roles.iter().any(|s| s == r.as_str())).collect();
        if roles.is_empty() || roles.len() != self.signer_roles.len() {
            return Err("Choose who must sign: the client, the co-client or the agents.".into());
        }
        let services: Vec<String> = self.services.lines().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
        if services.iter().any(|s| s.chars().count() > 200) || services.len() > 50 {
            return Err("List at most 50 services, one per line, each at most 200 characters.".into());
        }
        Ok((body, roles, services))
    }
}

async fn render_template(
    state: &AppState,
    jar: CookieJar,
    session: StaffSession,
    template_id: Option<&str>,
    form: &TemplateForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    let preview = placeholders::validate(&form.title, &form.body.replace("\r\n", "\n")).ok();
    let roles: Vec<serde_json::Value> = SIGNER_ROLES
        .iter()
        .map(|r| serde_json::json!({ "value": r.as_str(), "label": r.label(), "checked": form.signer_roles.iter().any(|s| s == r.as_str()) }))
        .collect();
    let data = serde_json::json!({
        "action": template_id.map(|id| format!("/staff/agreements/{id}")).unwrap_or_else(|| "/staff/agreements/new".into()),
        "new": template_id.is_none(),
        "error": error,
        "title_value": form.title,
        "body": form.body,
        "roles": roles,
        "services": form.services,
        "active": form.active.is_some(),
        "placeholders": PLACEHOLDERS.iter().map(|(name, meaning, _)| serde_json::json!({ "name": format!("{{{{{name}}}}}"), "meaning": meaning })).collect::<Vec<_>>(),
        "preview": preview,
    });
    let title = if template_id.is_some() { "Edit agreement" } else { "New agreement" };
    super::console_page(state, jar, session, "staff_agreement_template", title, data).await
}

async fn new_template(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::ManageSettings)?;
    let form = TemplateForm { signer_roles: vec!["client".into()], active: Some("1".into()), ..TemplateForm::default() };
    render_template(&state, jar, session, None, &form, None).await
}

async fn create_template(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, WebError> {
    let form = TemplateForm::submitted(pairs);
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageSettings)?;
    let (body, roles, services) = match form.check() {
        Ok(checked) => checked,
        Err(error) => return render_template(&state, jar, session, None, &form, Some(error)).await,
    };
    let fields = TemplateFields { title: form.title.trim(), body: &body, signer_roles: &roles, services: &services, active: form.active.is_some() };
    state.db.tenant(&session.row.tenant_id).create_agreement_template(&fields).await?;
    saved(&state, &session, "settings.agreement_created", fields.title).await
}

async fn edit_template(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(template_id): Path<String>) -> Result<Response, WebError> {
    session.require(Ability::ManageSettings)?;
    let template = state.db.tenant(&session.row.tenant_id).agreement_template(&template_id).await?.ok_or(WebError::NotFound)?;
    render_template(&state, jar, session, Some(&template_id), &TemplateForm::of(&template), None).await
}

async fn update_template(
    State(state): State<AppState>,
    jar: CookieJar,
    session: StaffSession,
    Path(template_id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let form = TemplateForm::submitted(pairs);
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageSettings)?;
    state.db.tenant(&session.row.tenant_id).agreement_template(&template_id).await?.ok_or(WebError::NotFound)?;
    let (body, roles, services) = match form.check() {
        Ok(checked) => checked,
        Err(error) => return render_template(&state, jar, session, Some(&template_id), &form, Some(error)).await,
    };
    let fields = TemplateFields { title: form.title.trim(), body: &body, signer_roles: &roles, services: &services, active: form.active.is_some() };
    state.db.tenant(&session.row.tenant_id).update_agreement_template(&template_id, &fields).await?;
    saved(&state, &session, "settings.agreement_changed", fields.title).await
}

/// Audit the change and go back to the list with a notice.
async fn saved(state: &AppState, session: &StaffSession, action: &str, title: &str) -> Result<Response, WebError> {
    let audit = portico_data::AuditEntry::new(&session.row.tenant_id, action, &format!("Saved the agreement \"{title}\"")).by(super::actor(session));
    state.db.record_audit(&audit).await?;
    let message = format!("\"{title}\" saved. Jobs where someone already signed keep the text they signed.");
    super::notice(state, session, "success", &message).await?;
    Ok(Redirect::to("/staff/agreements").into_response())
}
