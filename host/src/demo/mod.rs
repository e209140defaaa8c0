//! `portico demo`: a ready-made home-inspection business with one job, so a
//! newcomer can open each role's portal at once, a home-service company
//! (`service`) with a homeowner's two properties, an estimate to answer and
//! a request, and a cleaning company (`cleaning`) with a year of a property
//! manager's cleanings. Created on
//! first run, reused afterwards (the links and staff passwords are kept in
//! `demo.json`, since the database only holds hashes); a business added to
//! the demo later is made on the next start of an older data directory.

mod cleaning;
mod service;

pub use cleaning::{CleaningLinks, SLUG as CLEANING_SLUG};
pub use service::{ServiceLinks, SLUG as SERVICE_SLUG};

use portico_core::ids::{JobId, TenantId};
use portico_web::app::AppState;
use portico_data::NewTenant;
use portico_core::model::{now, Role};
use portico_core::tokens::{hash_token, new_token};
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The demo business's slug, in its sign-in page's address.
pub const SLUG: &str = "keystone";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffLogin {
    pub url: String,
    pub email: String,
    pub password: String,
}

/// Each role's portal link, in the shape `--links-json` writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoLinks {
    pub client: String,
    pub buyer_agent: String,
    pub listing_agent: String,
    pub staff: StaffLogin,
    /// A key for the REST API (jobs:read, jobs:write).
    pub api_key: String,
    /// The home-service company: a customer's password (or a link by
    /// e-mail). (Absent only where the stories made the inspection business alone.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceLinks>,
    /// The cleaning company: sign-in by e-mailed code. (Absent only where
    /// the stories made the inspection business alone.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleaning: Option<CleaningLinks>,
}

/// What is remembered between runs (tokens, not URLs: the address may change).
#[derive(Serialize, Deserialize)]
struct DemoSecrets {
    client_token: String,
    buyer_agent_token: String,
    listing_agent_token: String,
    staff_email: String,
    staff_password: String,
    /// Added after the first demos: made on the next start when missing.
    #[serde(default)]
    api_key: Option<String>,
    #[serde(default)]
    cleaning: Option<cleaning::CleaningSecrets>,
    #[serde(default)]
    service: Option<service::ServiceSecrets>,
}

const AGREEMENT: &str = "This agreement is between {{company}} (\"the Inspector\") and {{client}} (\"the Client\") \
for the inspection of {{address}} on {{date}}.\n\n\
The Inspector will perform a visual, non-invasive inspection of the readily accessible systems and components \
of the property, in accordance with the Standards of Practice of the state. The inspection is not a guarantee or \
warranty of any kind.\n\n\
The written report is for the sole use of the Client. The fee of {{fee}} is due at or before the inspection; the \
report is released once this agreement is signed and the fee is paid. Any claim must be made in writing within \
one year of the inspection date.";

/// Every business of the demo, made if absent.
pub async fn ensure_demo(state: &AppState, data_dir: &Path) -> anyhow::Result<DemoLinks> {
    ensure(state, data_dir, true).await
}

/// The home-inspection business alone, made if absent: the stories' common
/// ground (a story that needs another business makes it with [`ensure_demo`]).
pub async fn ensure_inspection_demo(state: &AppState, data_dir: &Path) -> anyhow::Result<DemoLinks> {
    ensure(state, data_dir, false).await
}

async fn ensure(state: &AppState, data_dir: &Path, every_business: bool) -> anyhow::Result<DemoLinks> {
    let secrets_path = data_dir.join("demo.json");
    let mut secrets: DemoSecrets = match std::fs::read_to_string(&secrets_path) {
        Ok(text) => serde_json::from_str(&text).context("demo.json does not parse; remove the data directory to start over")?,
        Err(_) => {
            let secrets = seed(state).await?;
            write_private(&secrets_path, &serde_json::to_string_pretty(&secrets)?)?;
            secrets
        }
    };
    if secrets.api_key.is_none() {
        secrets.api_key = Some(demo_api_key(state).await?);
        write_private(&secrets_path, &serde_json::to_string_pretty(&secrets)?)?;
    }
    if every_business && secrets.service.is_none() {
        secrets.service = Some(service::seed(state).await.context("making the demo's home-service company")?);
        write_private(&secrets_path, &serde_json::to_string_pretty(&secrets)?)?;
    }
    if every_business && secrets.cleaning.is_none() {
        secrets.cleaning = Some(cleaning::seed(state).await.context("making the demo's cleaning company")?);
        write_private(&secrets_path, &serde_json::to_string_pretty(&secrets)?)?;
    }
    let base = &state.public_url;
    Ok(DemoLinks {
        client: format!("{base}/p/{}", secrets.client_token),
        buyer_agent: format!("{base}/p/{}", secrets.buyer_agent_token),
        listing_agent: format!("{base}/p/{}", secrets.listing_agent_token),
        staff: StaffLogin { url: format!("{base}/staff/login"), email: secrets.staff_email, password: secrets.staff_password },
        api_key: secrets.api_key.unwrap_or_default(),
        service: secrets.service.as_ref().map(|service| service::links(base, service)),
        cleaning: secrets.cleaning.as_ref().map(|cleaning| cleaning::links(base, cleaning)),
    })
}

/// An API key for the demo business, so that the API can be tried at once.
async fn demo_api_key(state: &AppState) -> anyhow::Result<String> {
    let tenant = state.db.tenant_by_slug(SLUG).await?.context("the demo business is missing")?;
    let owner = state.db.tenant(&tenant.id).staff_users().await?.into_iter().next().context("the demo owner is missing")?;
    let (key, prefix) = portico_core::api_keys::new_key();
    let scopes = portico_core::api_keys::Scope::ALL.map(|s| s.as_str()).join(",");
    state.db.tenant(&tenant.id).create_api_key("Demo integration", &prefix, &portico_core::tokens::hash_token(&key), &scopes, &owner.id).await?;
    Ok(key)
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

async fn seed(state: &AppState) -> anyhow::Result<DemoSecrets> {
    let db = &state.db;
    let tenant = db
        .create_tenant(&NewTenant {
            slug: SLUG,
            name: "Keystone Home Inspections",
            timezone: "America/Chicago",
            welcome_text: "Welcome! Everything about your inspection is on this page.",
            support_email: Some("office@keystone-inspections.example"),
            support_phone: Some("(555) 010-4477"),
        })
        .await?;
    let staff_email = "owner@keystone-inspections.example".to_string();
    let staff_password = new_token()[..16].to_string();
    let hash = portico_core::passwords::hash(&staff_password)?;
    db.tenant(&tenant.id).create_staff_user(&staff_email, "Morgan Reyes", portico_core::model::StaffRole::Owner, &hash).await?;

    let property = db.tenant(&tenant.id).create_property("1428 Elm Street", "Springfield", "IL", "62704").await?;
    let job = db.tenant(&tenant.id).create_job(&property, "INS-1042").await?;
    let tomorrow_nine = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("America/Chicago")?)
        .date()
        .tomorrow()?
        .at(9, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::get("America/Chicago")?)?
        .timestamp()
        .as_second();
    db.tenant(&tenant.id).add_appointment(&job, tomorrow_nine, tomorrow_nine + 3 * 3600, "Alex Chen").await?;
    db.tenant(&tenant.id).add_service(&job, "Full home inspection", 42500).await?;
    db.tenant(&tenant.id).add_service(&job, "Radon test", 15000).await?;

    let mut tokens = Vec::new();
    for (name, email, role) in [
        ("Dana Whitfield", "dana.whitfield@example.com", Role::Client),
        ("Sam Ortiz", "sam.ortiz@realty.example", Role::BuyerAgent),
        ("Priya Natarajan", "priya@listings.example", Role::ListingAgent),
    ] {
        let contact = db.tenant(&tenant.id).create_contact(name, Some(email), None).await?;
        let token = new_token();
        db.tenant(&tenant.id).add_job_contact(&job, &contact, role, &hash_token(&token), None).await?;
        tokens.push(token);
    }

    let shared = [Role::Client, Role::CoClient, Role::BuyerAgent];
    let findings = ["Roof: serviceable, minor granule loss.", "Electrical: double-tapped breaker in main panel.", "Plumbing: slow drain in hall bath."];
    let report = publish_pdf(state, &tenant.id, &job, ("report", "Residential Inspection"), &findings, &shared).await?;
    add_findings(state, &tenant.id, &job, &report, &shared).await?;
    // The summary agents may read while the report waits for the signature and the payment.
    let summary = ["Safety: double-tapped breaker in the main panel; have an electrician correct it.", "Repair: slow drain in the hall bath."];
    publish_pdf(state, &tenant.id, &job, ("summary", "Inspection Summary"), &summary, &shared).await?;
    let lines = [
        ("service", "Full home inspection", 1, 42500),
        ("service", "Radon test", 1, 15000),
        ("fee", "Travel fee (over 25 miles)", 1, 3500),
    ];
    let invoice = portico_data::NewInvoice { number: "1042", status: portico_core::money::InvoiceStatus::Due, tax_minor: 0, due_at: Some(tomorrow_nine), lines: &lines };
    db.tenant(&tenant.id).create_invoice(&job, &invoice).await?;
    // The demo pays through the labelled test provider: no Stripe account needed.
    db.tenant(&tenant.id).set_payment_provider(portico_core::money::PaymentProvider::Test, None).await?;

    state.sections.install_builtins_for(&tenant.id).await?;
    let agreement = portico_data::TemplateFields {
        title: "Pre-Inspection Agreement",
        body: AGREEMENT,
        signer_roles: &[Role::Client],
        services: &[],
        active: true,
    };
    db.tenant(&tenant.id).create_agreement_template(&agreement).await?;
    db.tenant(&tenant.id).create_add_on_service("Sewer scope", "A camera inspection of the main sewer line to the street.", 17500).await?;
    db.tenant(&tenant.id).create_add_on_service("Mold air sampling", "Two air samples sent to an accredited lab, results in three days.", 22500).await?;
    let offers = serde_json::json!({
        "offers": "Two Rivers Moving | 10% off your local move | Licensed, insured movers serving Springfield since 1998. | quotes@tworivers-moving.example\n\
HomeShield | First month of home warranty free | Covers heating, cooling, plumbing and appliances for a year. | partners@homeshield.example",
    });
    db.tenant(&tenant.id).set_plugin_settings("moving-offers", &offers.to_string()).await?;
    let contractors = serde_json::json!({
        "enabled": true,
        "contractors": "Bright Spark Electric | Electrician | (555) 010-2200 | https://brightspark.example\n\
ClearFlow Plumbing | Plumber | (555) 010-3300",
    });
    db.tenant(&tenant.id).set_plugin_settings("contractors", &contractors.to_string()).await?;
    let release = portico_data::AgreementSettings { esign_consent: None, report_release: portico_core::model::ReleaseRule::AfterSigningAndPayment, summary_while_held: true };
    db.tenant(&tenant.id).set_agreement_settings(&release).await?;

    let mut tokens = tokens.into_iter();
    Ok(DemoSecrets {
        client_token: tokens.next().expect("client"),
        buyer_agent_token: tokens.next().expect("buyer agent"),
        listing_agent_token: tokens.next().expect("listing agent"),
        staff_email,
        staff_password,
        api_key: None,
        cleaning: None,
        service: None,
    })
}

/// Store a PDF of `lines` and publish it on the job as a document of `kind`; returns its id.
async fn publish_pdf(state: &AppState, tenant_id: &TenantId, job_id: &JobId, (kind, title): (&str, &str), lines: &[&str], shared: &[Role]) -> anyhow::Result<String> {
    let pdf = portico_services::pdf::simple_pdf(&format!("{title} - 1428 Elm Street"), lines);
    publish_file(state, tenant_id, job_id, (kind, title), ("application/pdf", pdf), shared).await
}

async fn publish_file(
    state: &AppState,
    tenant_id: &TenantId,
    job_id: &JobId,
    (kind, title): (&str, &str),
    (content_type, bytes): (&str, Vec<u8>),
    shared: &[Role],
) -> anyhow::Result<String> {
    let key = format!("{tenant_id}/{}", portico_core::model::new_id());
    state.files.put(&key, &bytes).await?;
    let size = bytes.len() as i64;
    Ok(state.db.tenant(tenant_id).add_document(job_id, kind, title, &key, content_type, size, shared, Some(now())).await?)
}

/// The report's findings as the inspector structured them, one with a photo.
async fn add_findings(state: &AppState, tenant_id: &TenantId, job_id: &JobId, report_id: &str, shared: &[Role]) -> anyhow::Result<()> {
    let panel = include_bytes!("../../assets/demo-panel.png").to_vec();
    let photo = publish_file(state, tenant_id, job_id, ("photo", "Main panel"), ("image/png", panel), shared).await?;
    let findings = [
        ("Electrical", "Double-tapped breaker", "safety", "Main panel, garage", "Two conductors share one breaker terminal. Have a licensed electrician correct it.", Some(photo.as_str())),
        ("Electrical", "Missing cover plate", "repair", "Hall bath", "An open junction box behind the vanity.", None),
        ("Plumbing", "Slow drain", "repair", "Hall bath sink", "Drains slowly; likely a partial clog.", None),
        ("Roof", "Granule loss", "monitor", "South slope", "Minor, consistent with age. Watch for bare spots.", None),
        ("Exterior", "Gutters full of debris", "maintenance", "Rear of house", "Clean before the rainy season.", None),
    ];
    for (section, title, severity, location, notes, photo_document_id) in findings {
        let item = portico_data::NewReportItem { section, title, severity, location, notes, photo_document_id };
        state.db.tenant(tenant_id).add_report_item(job_id, report_id, &item).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_agreement_uses_only_known_placeholders() {
        let preview = portico_services::agreements::placeholders::validate("Pre-Inspection Agreement", super::AGREEMENT).unwrap();
        assert!(preview.contains("Keystone Home Inspections (\"the Inspector\") and Dana Whitfield"), "{preview}");
    }
}
