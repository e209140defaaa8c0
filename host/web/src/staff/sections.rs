//! The sections of the business's portal (owners only): each installed
//! section's version, state and health; turning it on (after reviewing the
//! permissions it asks for) and off; its order and where its cards go; its
//! settings, from the form its own schema describes; upgrades that wait for
//! consent; first-party sections to add; and uploading a plugin of one's own.

use super::roles::Ability;
use crate::app::AppState;
use crate::error::WebError;
use portico_sections::manage::{permission_requests, Direction, InstalledSection, Installable, UploadError};
use portico_sections::{settings, Permission};
use crate::sessions::StaffSession;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub fn router(max_upload: usize) -> Router<AppState> {
    Router::new()
        .route("/staff/sections", get(list))
        // Twice the largest plugin, so that a file over the limit is still
        // read to the end and answered with its size, not a broken connection.
        .route("/staff/sections/upload", post(upload).layer(DefaultBodyLimit::max(2 * max_upload + (64 << 10))))
        .route("/staff/sections/packages/{sha}", get(review).post(install))
        .route("/staff/sections/{plugin}", get(detail))
        .route("/staff/sections/{plugin}/settings", post(save_settings))
        .route("/staff/sections/{plugin}/placements", post(save_placements))
        .route("/staff/sections/{plugin}/permissions", post(save_permissions))
        .route("/staff/sections/{plugin}/upgrade", post(accept_upgrade))
        .route("/staff/sections/{plugin}/move", post(move_section))
        .route("/staff/sections/{plugin}/disable", post(disable))
}

fn ms(duration: Option<std::time::Duration>) -> String {
    match duration {
        Some(d) => format!("{} ms", d.as_millis()),
        None => "—".into(),
    }
}

/// The state of a section in a few words.
fn state_label(section: &InstalledSection) -> &'static str {
    match (&section.plugin, section.installation.enabled != 0, &section.pending) {
        (Err(_), _, Some(_)) => "Waiting for your consent to upgrade",
        (Err(_), _, None) => "Does not run on this host",
        (Ok(_), true, _) => "On",
        (Ok(_), false, _) => "Off",
    }
}

fn section_summary(formats: &portico_core::formats::TenantFormats, section: &InstalledSection) -> Value {
    use portico_core::formats::Formats as _;
    let installation = &section.installation;
    json!({
        "id": installation.plugin_id,
        "name": section.name(),
        "version": section.version(),
        "state": state_label(section),
        "enabled": installation.enabled != 0,
        "runs": section.plugin.is_ok(),
        "pending": section.pending.as_ref().map(|p| p.version().to_string()),
        "calls": section.health.calls,
        "recent_failures": section.health.failures,
        "p95": ms(section.health.p95),
        "failures": installation.failures,
        "last_error": installation.last_error.as_deref().map(|e| portico_core::text::clamp(e, 200)),
        "last_error_at": installation.last_error_at.map(|at| formats.moment(at)),
    })
}

async fn formats(state: &AppState, session: &StaffSession) -> Result<portico_core::formats::TenantFormats, WebError> {
    let tenant = state.db.tenant(&session.row.tenant_id).business().await?.ok_or(WebError::NotFound)?;
    Ok(portico_core::formats::TenantFormats::new(&tenant))
}

async fn render_list(state: &AppState, jar: CookieJar, session: StaffSession, error: Option<String>, status: StatusCode) -> Result<Response, WebError> {
    let tenant_id = session.row.tenant_id.clone();
    let formats = formats(state, &session).await?;
    let installed = state.sections.installed(&tenant_id).await?;
    let sections: Vec<Value> = installed.iter().map(|s| section_summary(&formats, s)).collect();
    let installed_ids: BTreeSet<&str> = installed.iter().map(|s| s.installation.plugin_id.as_str()).collect();
    let available: Vec<Value> = state
        .sections
        .installable(&tenant_id)
        .await?
        .iter()
        .filter(|candidate| match candidate {
            // A first-party section is offered until installed; an upload is
            // offered unless that very package is the one installed.
            Installable::FirstParty(plugin) => !installed_ids.contains(plugin.id()),
            Installable::Upload(plugin, _) => !installed.iter().any(|s| s.installation.package_sha256 == plugin.sha256),
        })
        .map(|candidate| {
            let plugin = candidate.plugin();
            json!({
                "sha": plugin.sha256,
                "name": plugin.descriptor.name,
                "id": plugin.id(),
                "version": plugin.version(),
                "origin": match candidate {
                    Installable::FirstParty(_) => "First-party",
                    Installable::Upload(_, package) if package.published != 0 => "Published by the operator",
                    Installable::Upload(..) => "Uploaded by your business",
                },
                "replaces": installed_ids.contains(plugin.id()),
            })
        })
        .collect();
    let data = json!({
        "sections": sections,
        "available": available,
        "error": error,
        "max_upload_mib": state.sections.max_upload_bytes() >> 20,
    });
    let mut response = super::console_page(state, jar, session, "staff_sections", "Sections", data).await?;
    *response.status_mut() = status;
    Ok(response)
}

async fn list(State(state): State<AppState>, jar: CookieJar, session: StaffSession) -> Result<Response, WebError> {
    session.require(Ability::ManageSections)?;
    render_list(&state, jar, session, None, StatusCode::OK).await
}

async fn upload(State(state): State<AppState>, jar: CookieJar, session: StaffSession, mut multipart: Multipart) -> Result<Response, WebError> {
    session.require(Ability::ManageSections)?;
    let max = state.sections.max_upload_bytes();
    let mut csrf = String::new();
    let mut wasm: Vec<u8> = Vec::new();
    let mut size = 0usize;
    let refuse = |error: UploadError| (error.to_string(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut refused = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                refused = Some((format!("The file is over the limit: plugins may be at most {max} bytes."), StatusCode::PAYLOAD_TOO_LARGE));
                break;
            }
            Err(error) => return Err(WebError::BadRequest(format!("The upload could not be read: {}", error.body_text()))),
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|e| WebError::BadRequest(e.body_text()))?,
            Some("plugin") => {
                let mut field = field;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            size += chunk.len();
                            // Past the limit the rest is counted, not kept.
                            if size <= max {
                                wasm.extend_from_slice(&chunk);
                            }
                        }
                        Ok(None) => break,
                        Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                            refused = Some((format!("The file is over the limit: plugins may be at most {max} bytes."), StatusCode::PAYLOAD_TOO_LARGE));
                            break;
                        }
                        Err(error) => return Err(WebError::BadRequest(format!("The upload could not be read: {}", error.body_text()))),
                    }
                }
            }
            _ => {}
        }
    }
    crate::csrf::check_session(&csrf, &session.row.csrf_token)?;
    if refused.is_none() && size > max {
        refused = Some(refuse(UploadError::TooLarge { size, max }));
    }
    if refused.is_none() {
        // Every attempt is compiled before it can be judged: a few dozen an hour.
        portico_services::rate_limit::check(&state.db, Some(&session.row.tenant_id), &portico_services::rate_limit::UPLOAD_ATTEMPTS, session.row.tenant_id.as_str()).await?;
        match state.sections.upload(&session.row.tenant_id, &session.user.id, &wasm).await {
            Ok(plugin) => {
                let summary = format!("Uploaded the plugin {} {} ({})", plugin.descriptor.name, plugin.version(), plugin.id());
                let audit = portico_data::AuditEntry::new(&session.row.tenant_id, "section.uploaded", &summary).by(super::actor(&session));
                state.db.record_audit(&audit).await?;
                return Ok(Redirect::to(&format!("/staff/sections/packages/{}", plugin.sha256)).into_response());
            }
            Err(UploadError::Db(error)) => return Err(error.into()),
            Err(error) => refused = Some(refuse(error)),
        }
    }
    let (message, status) = refused.expect("set above");
    render_list(&state, jar, session, Some(message), status).await
}

/// The review of a package before installing it: what it is, the cards it
/// shows to whom, and each permission it asks for with its reason.
async fn review(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(sha): Path<String>) -> Result<Response, WebError> {
    session.require(Ability::ManageSections)?;
    let tenant_id = session.row.tenant_id.clone();
    let candidate = state.sections.installable_package(&tenant_id, &sha).await?.ok_or(WebError::NotFound)?;
    let plugin = candidate.plugin().clone();
    let current = state.sections.installed_one(&tenant_id, plugin.id()).await?;
    let (granted, asked_before) = match &current {
        Some(section) => (section.grants(), Some(section.asked_for())),
        // A new section: every permission starts ticked; the tenant unticks.
        None => (plugin.requested_permissions().into_iter().collect(), None),
    };
    let data = json!({
        "sha": plugin.sha256,
        "plugin": descriptor_view(&plugin),
        "origin": match &candidate { Installable::FirstParty(_) => "First-party section", Installable::Upload(..) => "Uploaded plugin" },
        "replaces": current.as_ref().map(|s| s.version()),
        "contract": plugin.contract.as_str(),
        // A section built for an older contract runs as it was written.
        "older_contract": plugin.contract != portico_sections::ContractVersion::CURRENT,
        "permissions": permission_requests(&plugin, &granted, asked_before.as_ref()),
    });
    super::console_page(&state, jar, session, "staff_section_review", &format!("Review {}", plugin.descriptor.name), data).await
}

/// The parts of a descriptor a tenant reviews.
fn descriptor_view(plugin: &portico_sections::LoadedPlugin) -> Value {
    use portico_sections::surfaces::{describe_placement, surface_of};
    use portico_sections::Surface;
    let cards: Vec<Value> = plugin
        .descriptor
        .cards
        .iter()
        .map(|card| {
            let roles: Vec<&str> = card.roles.iter().map(|r| portico_sections::from_wit_role(*r).label()).collect();
            json!({
                "title": card.title,
                "place": describe_placement(&card.placement),
                // A staff card's staff roles are in its place.
                "roles": if matches!(surface_of(&card.placement), Surface::StaffJobPage | Surface::StaffPage) {
                    None
                } else if roles.is_empty() { Some("nobody".to_string()) } else { Some(roles.join(", ")) },
            })
        })
        .collect();
    json!({
        "id": plugin.id(),
        "name": plugin.descriptor.name,
        "version": plugin.version(),
        "description": plugin.descriptor.description,
        "cards": cards,
    })
}

/// The permissions ticked on a form (`grant=job-read&grant=storage`);
/// unknown names are a malformed form.
fn ticked(form: &[(String, String)]) -> Result<Vec<Permission>, WebError> {
    form.iter()
        .filter(|(name, _)| name == "grant")
        .map(|(_, value)| {
            Permission::ALL
                .into_iter()
                .find(|p| p.as_str() == value)
                .ok_or_else(|| WebError::BadRequest(format!("“{value}” is not a permission.")))
        })
        .collect()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

fn grants_summary(grants: &[Permission]) -> String {
    if grants.is_empty() {
        "no permissions".into()
    } else {
        grants.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
    }
}

async fn install(
    State(state): State<AppState>,
    session: StaffSession,
    Path(sha): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    owner_form(&session, &form)?;
    let tenant_id = session.row.tenant_id.clone();
    let candidate = state.sections.installable_package(&tenant_id, &sha).await?.ok_or(WebError::NotFound)?;
    let plugin = candidate.plugin().clone();
    let grants = ticked(&form)?;
    state.sections.install_reviewed(&tenant_id, &plugin, &grants).await?;
    let summary = format!("Installed {} {} with {}", plugin.descriptor.name, plugin.version(), grants_summary(&grants));
    let message = format!("{} {} is installed.", plugin.descriptor.name, plugin.version());
    done(&state, &session, "section.installed", &summary, &message, &format!("/staff/sections/{}", plugin.id())).await
}

/// Record what the owner did, tell them so, and go to `to`.
async fn done(state: &AppState, session: &StaffSession, action: &str, summary: &str, message: &str, to: &str) -> Result<Response, WebError> {
    let audit = portico_data::AuditEntry::new(&session.row.tenant_id, action, summary).by(super::actor(session));
    state.db.record_audit(&audit).await?;
    super::notice(state, session, "success", message).await?;
    Ok(Redirect::to(to).into_response())
}

/// A form posted by an owner: its CSRF token checked first.
fn owner_form(session: &StaffSession, form: &[(String, String)]) -> Result<(), WebError> {
    crate::csrf::check_session(crate::csrf::in_pairs(form), &session.row.csrf_token)?;
    session.require(Ability::ManageSections)
}

async fn installed_section(state: &AppState, session: &StaffSession, plugin_id: &str) -> Result<InstalledSection, WebError> {
    state.sections.installed_one(&session.row.tenant_id, plugin_id).await?.ok_or(WebError::NotFound)
}

/// The page of one installed section, with the settings form showing
/// `typed` (a refused form) or the saved values.
async fn render_detail(
    state: &AppState,
    jar: CookieJar,
    session: StaffSession,
    plugin_id: &str,
    typed: Option<settings::Refused>,
) -> Result<Response, WebError> {
    let section = installed_section(state, &session, plugin_id).await?;
    let mut data = section_summary(&formats(state, &session).await?, &section);
    let grants = section.grants();
    if let Some(pending) = &section.pending {
        data["upgrade"] = json!({
            "sha": pending.sha256,
            "version": pending.version(),
            "permissions": permission_requests(pending, &grants, Some(&section.asked_for())),
        });
    }
    if let Ok(plugin) = &section.plugin {
        let specs = &plugin.descriptor.settings;
        let status = if typed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
        let (values, errors) = typed.unwrap_or_else(|| (settings::effective(specs, &section.installation.settings_json), Vec::new()));
        let active = portico_sections::ActiveSection { installation: section.installation.clone(), plugin: plugin.clone() };
        let placements: Vec<Value> = plugin
            .descriptor
            .cards
            .iter()
            .filter(|spec| portico_sections::surfaces::has_tabs(portico_sections::surfaces::surface_of(&spec.placement)))
            .map(|spec| {
                let surface = portico_sections::surfaces::surface_of(&spec.placement);
                let declared = portico_sections::surfaces::declared_tab(&spec.placement).unwrap_or_default();
                json!({
                    "id": spec.id,
                    "title": spec.title,
                    "tab": active.tab_for(spec).unwrap_or_default(),
                    "declared": declared,
                    "home": portico_sections::surfaces::home_label(surface),
                    "on_hub": surface == portico_sections::Surface::AccountHub,
                })
            })
            .collect();
        data["plugin"] = descriptor_view(plugin);
        data["settings"] = json!(settings::form(specs, &values, &errors));
        data["settings_error"] = json!(!errors.is_empty());
        data["placements"] = json!(placements);
        data["permissions"] = json!(permission_requests(plugin, &grants, None));
        let mut response = super::console_page(state, jar, session, "staff_section", &section.name(), data).await?;
        *response.status_mut() = status;
        return Ok(response);
    }
    // A package this host no longer runs: only its upgrade (or nothing) is offered.
    data["load_error"] = json!(section.plugin.as_ref().err());
    super::console_page(state, jar, session, "staff_section", &section.name(), data).await
}

async fn detail(State(state): State<AppState>, jar: CookieJar, session: StaffSession, Path(plugin_id): Path<String>) -> Result<Response, WebError> {
    session.require(Ability::ManageSections)?;
    render_detail(&state, jar, session, &plugin_id, None).await
}

async fn save_settings(
    State(state): State<AppState>,
    jar: CookieJar,
    session: StaffSession,
    Path(plugin_id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    owner_form(&session, &form)?;
    let section = installed_section(&state, &session, &plugin_id).await?;
    let plugin = section.plugin.as_ref().map_err(|_| WebError::BadRequest("This section does not run on this host; upgrade it first.".into()))?;
    match settings::parse(&plugin.descriptor.settings, &form) {
        Ok(values) => {
            let tenant_id = &session.row.tenant_id;
            let values = settings::owner_set(&plugin.descriptor.settings, values);
            state.db.tenant(tenant_id).set_plugin_settings(&plugin_id, &Value::Object(values).to_string()).await?;
            let summary = format!("Changed the settings of {}", plugin.descriptor.name);
            let message = "Settings saved. The portal uses them from the next page.";
            done(&state, &session, "section.configured", &summary, message, &format!("/staff/sections/{plugin_id}")).await
        }
        Err(refused) => render_detail(&state, jar, session, &plugin_id, Some(refused)).await,
    }
}

async fn save_placements(
    State(state): State<AppState>,
    session: StaffSession,
    Path(plugin_id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    owner_form(&session, &form)?;
    let section = installed_section(&state, &session, &plugin_id).await?;
    let plugin = section.plugin.as_ref().map_err(|_| WebError::BadRequest("This section does not run on this host; upgrade it first.".into()))?;
    let mut placements = serde_json::Map::new();
    // Staff surfaces have no tabs: only the job page's and the hub's cards move.
    let movable = plugin.descriptor.cards.iter().filter(|spec| portico_sections::surfaces::has_tabs(portico_sections::surfaces::surface_of(&spec.placement)));
    for spec in movable {
        // "dashboard" (the surface's home) or "tab" with the tab's title beside it.
        let place = field(&form, &format!("place.{}", spec.id));
        let title = field(&form, &format!("tab.{}", spec.id)).trim();
        let tab = match place {
            "dashboard" => String::new(),
            "tab" if title.is_empty() => {
                let message = format!("Give the tab for “{}” a title, or put the card on the dashboard.", spec.title);
                super::notice(&state, &session, "danger", &message).await?;
                return Ok(Redirect::to(&format!("/staff/sections/{plugin_id}#placement")).into_response());
            }
            "tab" => portico_core::text::clamp(title, 40),
            _ => continue,
        };
        placements.insert(spec.id.clone(), Value::String(tab));
    }
    state.db.tenant(&session.row.tenant_id).set_plugin_placements(&plugin_id, &Value::Object(placements).to_string()).await?;
    super::notice(&state, &session, "success", "Placement saved.").await?;
    Ok(Redirect::to(&format!("/staff/sections/{plugin_id}")).into_response())
}

/// Save the grants; `intent=enable` also turns the section on (this form is
/// the review every enabling goes through).
async fn save_permissions(
    State(state): State<AppState>,
    session: StaffSession,
    Path(plugin_id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    owner_form(&session, &form)?;
    let tenant_id = session.row.tenant_id.clone();
    let section = installed_section(&state, &session, &plugin_id).await?;
    let grants = ticked(&form)?;
    state.sections.set_grants(&tenant_id, &section, &grants).await.map_err(|e| WebError::BadRequest(format!("This section does not run on this host: {e}")))?;
    let enable = field(&form, "intent") == "enable";
    if enable {
        state.db.tenant(&tenant_id).set_plugin_enabled(&plugin_id, true).await?;
    }
    let verb = if enable { "Turned on" } else { "Changed the permissions of" };
    let summary = format!("{verb} {} with {}", section.name(), grants_summary(&grants));
    let message = if enable { format!("{} is on.", section.name()) } else { "Permissions saved.".to_string() };
    done(&state, &session, "section.permissions", &summary, &message, &format!("/staff/sections/{plugin_id}")).await
}

async fn accept_upgrade(
    State(state): State<AppState>,
    session: StaffSession,
    Path(plugin_id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    owner_form(&session, &form)?;
    let tenant_id = session.row.tenant_id.clone();
    let section = installed_section(&state, &session, &plugin_id).await?;
    let Some(pending) = section.pending.clone() else {
        super::notice(&state, &session, "info", "There is no upgrade waiting.").await?;
        return Ok(Redirect::to(&format!("/staff/sections/{plugin_id}")).into_response());
    };
    // The form names the version it showed: consent to one version is not
    // consent to another that replaced it meanwhile.
    if field(&form, "version") != pending.sha256 {
        super::notice(&state, &session, "danger", "The waiting upgrade changed while you were reviewing it; review it again.").await?;
        return Ok(Redirect::to(&format!("/staff/sections/{plugin_id}")).into_response());
    }
    let grants = ticked(&form)?;
    state.sections.install_reviewed(&tenant_id, &pending, &grants).await?;
    let summary = format!("Upgraded {} to {} with {}", section.name(), pending.version(), grants_summary(&grants));
    let message = format!("{} now runs version {}.", pending.descriptor.name, pending.version());
    done(&state, &session, "section.upgraded", &summary, &message, &format!("/staff/sections/{plugin_id}")).await
}

async fn move_section(
    State(state): State<AppState>,
    session: StaffSession,
    Path(plugin_id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    owner_form(&session, &form)?;
    let direction = match field(&form, "direction") {
        "up" => Direction::Up,
        "down" => Direction::Down,
        other => return Err(WebError::BadRequest(format!("“{other}” is not a direction; use up or down."))),
    };
    installed_section(&state, &session, &plugin_id).await?;
    state.sections.move_section(&session.row.tenant_id, &plugin_id, direction).await?;
    Ok(Redirect::to("/staff/sections").into_response())
}

async fn disable(
    State(state): State<AppState>,
    session: StaffSession,
    Path(plugin_id): Path<String>,
    Form(form): Form<crate::csrf::CsrfForm>,
) -> Result<Response, WebError> {
    crate::csrf::check_session(&form.csrf, &session.row.csrf_token)?;
    session.require(Ability::ManageSections)?;
    let section = installed_section(&state, &session, &plugin_id).await?;
    let tenant_id = &session.row.tenant_id;
    state.db.tenant(tenant_id).set_plugin_enabled(&plugin_id, false).await?;
    let message = format!("{} is off: clients no longer see it.", section.name());
    done(&state, &session, "section.disabled", &format!("Turned off {}", section.name()), &message, "/staff/sections").await
}
