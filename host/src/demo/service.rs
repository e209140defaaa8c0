//! The demo's home-service company (seed 002): its customers were invited to
//! the portal and chose a password. Jordan Ellis, a homeowner, has two
//! properties with it — the house and a lake cabin — with a furnace tune-up
//! done and paid, a gutter cleaning done and not yet paid, a water heater to
//! replace for which an estimate (with options and a deposit) awaits an
//! answer, a service request waiting for the office, and a conversation
//! about the furnace.

use super::StaffLogin;
use anyhow::Context as _;
use portico_core::ids::JobId;
use portico_core::model::{Role, StaffRole, Tenant};
use portico_core::money::{CardFee, InvoiceStatus, PaymentMethod, PaymentProvider};
use portico_core::requests::PreferredVisit;
use portico_core::stages::JobStage;
use portico_core::tokens::{hash_token, new_token};
use portico_data::{AccessSettings, Actor, NewInvoice, NewPropertyNote, NewTenant, Party, PersonKind};
use portico_services::conversations::{ContactViewer, Draft};
use portico_services::estimates::{DraftLine, EstimateDraft};
use portico_services::payments::ManualPayment;
use portico_services::requests::RequestForm;
use portico_web::app::AppState;
use serde::{Deserialize, Serialize};

/// The company's slug, in its sign-in page's address.
pub const SLUG: &str = "northwind";
/// The homeowner, who signs in with a password.
pub const CUSTOMER_EMAIL: &str = "jordan.ellis@example.net";
const TIMEZONE: &str = "America/Denver";
const DAY: i64 = 24 * 3600;

/// What is remembered between runs.
#[derive(Serialize, Deserialize)]
pub struct ServiceSecrets {
    pub staff_email: String,
    pub staff_password: String,
    pub customer_password: String,
}

/// The company's ways in, in the shape `--links-json` writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceLinks {
    /// Where customers sign in (a password, or a link by e-mail).
    pub signin: String,
    pub customer_email: String,
    pub customer_password: String,
    pub staff: StaffLogin,
}

pub fn links(base: &str, secrets: &ServiceSecrets) -> ServiceLinks {
    ServiceLinks {
        signin: format!("{base}/t/{SLUG}/signin"),
        customer_email: CUSTOMER_EMAIL.into(),
        customer_password: secrets.customer_password.clone(),
        staff: StaffLogin { url: format!("{base}/staff/login"), email: secrets.staff_email.clone(), password: secrets.staff_password.clone() },
    }
}

/// A password a person can type from the terminal.
fn new_password() -> String {
    new_token()[..16].to_string()
}

pub async fn seed(state: &AppState) -> anyhow::Result<ServiceSecrets> {
    let db = &state.db;
    if let Some(made) = db.tenant_by_slug(SLUG).await? {
        // A first start stopped before demo.json recorded the company (the
        // passwords are only kept as hashes): keep what was made, with new passwords.
        tracing::warn!("the demo's home-service company was made before but not recorded; its owner and customer get new passwords");
        let business = db.tenant(&made.id);
        let owner = business.staff_users().await?.into_iter().find(|user| user.role == StaffRole::Owner).context("the home-service company's owner")?;
        let (staff_password, customer_password) = (new_password(), new_password());
        business.set_staff_password(&owner.id, &portico_core::passwords::hash(&staff_password)?).await?;
        business.set_contact_password(CUSTOMER_EMAIL, &portico_core::passwords::hash(&customer_password)?).await?;
        return Ok(ServiceSecrets { staff_email: owner.email, staff_password, customer_password });
    }
    let tenant = db
        .create_tenant(&NewTenant {
            slug: SLUG,
            name: "Northwind Home Services",
            timezone: TIMEZONE,
            welcome_text: "Your homes, visits, estimates, invoices and messages with us, in one place.",
            support_email: Some("office@northwind-home.example"),
            support_phone: Some("(555) 010-2200"),
        })
        .await?;
    let business = db.tenant(&tenant.id);
    // Invited customers choose a password; a link by e-mail always works too.
    business.set_access_settings(&AccessSettings { link_lifetime_days: None, signin_method: "magic-link", client_passwords: true }).await?;
    let staff_email = "owner@northwind-home.example".to_string();
    let staff_password = new_password();
    business.create_staff_user(&staff_email, "Casey Morgan", StaffRole::Owner, &portico_core::passwords::hash(&staff_password)?).await?;
    business.create_staff_user("luis@northwind-home.example", "Luis Ortega", StaffRole::Employee, &portico_core::passwords::hash(&new_token())?).await?;
    business.set_payment_provider(PaymentProvider::Test, None).await?;
    business.set_card_fee(CardFee { basis_points: 300, fixed_minor: 0 }).await?;
    state.sections.install_builtins_for(&tenant.id).await?;
    let tenant = business.business().await?.context("the home-service company was just made")?;
    let owner = business.staff_users().await?.into_iter().find(|user| user.role == StaffRole::Owner).context("the owner")?;
    let office = Actor::staff(&owner.id, &owner.display_name);
    let me = Party { kind: PersonKind::Staff, id: &owner.id, name: &owner.display_name };

    // Jordan, invited to the portal, chose a password.
    let jordan = business.create_contact("Jordan Ellis", Some(CUSTOMER_EMAIL), Some("(555) 010-7788")).await?;
    let customer_password = new_password();
    let home = business.create_property("27 Aspen Court", "Boulder", "CO", "80302").await?;
    business.set_property_profile(&home, Some("Home"), "residential").await?;
    let cabin = business.create_property("9 Shoreline Drive", "Grand Lake", "CO", "80447").await?;
    business.set_property_profile(&cabin, Some("Lake cabin"), "rental").await?;
    for (property, body, access, for_clients) in [
        (&home, "Side gate code 4711. Rex the dog is friendly.", true, true),
        (&home, "Furnace and water heater are in the basement utility room.", false, true),
        (&cabin, "Key in the lockbox on the porch post, code 0925.", true, true),
        (&cabin, "Rented most weekends: book weekdays.", false, false),
    ] {
        business.add_property_note(&NewPropertyNote { property_id: property, access, body, for_clients, by_name: &owner.display_name }).await?;
    }

    let now = jiff::Timestamp::now().as_second();
    // The furnace tune-up three weeks ago, paid by check; the gutters ten days ago, not paid yet.
    let furnace = job(state, &tenant, &home, "NHS-2001", day_at(now - 21 * DAY, 9)?, Some(("Furnace tune-up", 14_900)), &jordan).await?;
    let gutters = job(state, &tenant, &cabin, "NHS-2002", day_at(now - 10 * DAY, 13)?, Some(("Gutter cleaning", 22_500)), &jordan).await?;
    for (done, price, paid) in [(&furnace, 14_900, true), (&gutters, 22_500, false)] {
        finish(state, &tenant, done).await?;
        let reference = business.job(done).await?.context("the job just made")?.reference;
        let service = business.services(done).await?.remove(0).name;
        let lines = [("service", service.as_str(), 1, price)];
        let visit = business.appointments(done).await?.remove(0).starts_at;
        let invoice = business.create_invoice(done, &NewInvoice { number: &reference, status: InvoiceStatus::Due, tax_minor: 0, due_at: Some(visit + 14 * DAY), lines: &lines }).await?;
        business.set_invoice_issued_at(&invoice, visit + 4 * 3600).await?;
        if paid {
            let manual = ManualPayment { invoice_id: &invoice, method: PaymentMethod::Check, amount_minor: price, reference: Some("Check 1187"), note: None };
            let payment = state.payments.record_manual(&tenant, done, &manual, office).await?;
            state.payments.decide_manual(&tenant, done, &payment, true, office).await?;
        }
    }

    // The water heater: a visit in nine days, and the estimate to answer.
    let heater = job(state, &tenant, &home, "NHS-2003", day_at(now + 9 * DAY, 8)?, None, &jordan).await?;
    let line = |description: &str, price: &str, tax: &str, optional: bool| DraftLine {
        description: description.into(),
        quantity: "1".into(),
        unit_price: price.into(),
        tax_rate: tax.into(),
        optional,
    };
    let zone = jiff::tz::TimeZone::get(TIMEZONE)?;
    let draft = EstimateDraft {
        title: "Replace the water heater".into(),
        message: "Your 14-year-old tank is leaking at the base. We can replace it on the visit already booked.".into(),
        expires_on: (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 21)).to_zoned(zone).date().to_string(),
        deposit_percent: "25".into(),
        lines: vec![
            line("50-gallon gas water heater", "1450.00", "4.5", false),
            line("Installation and permit", "380.00", "", false),
            line("Haul away the old tank", "60.00", "", false),
            line("Thermal expansion tank", "165.00", "4.5", true),
            line("Automatic leak-detector shut-off valve", "240.00", "4.5", true),
        ],
    };
    let (estimate, _) = state.estimates.write(&tenant, &heater, &draft, &office).await?;
    state.estimates.send(&tenant, &heater, &estimate, &office).await?;

    // Jordan asked about the furnace's filter; the office answered.
    let viewer = ContactViewer { contact_id: &jordan, verified_email: Some(CUSTOMER_EMAIL), name: "Jordan Ellis" };
    let asked = Draft { body: "Which filter size should I buy for the furnace, and how often should I change it?".into(), ..Default::default() };
    let thread = state.conversations.start_by_contact(&tenant, &viewer, Some(&furnace), "Furnace filter", asked).await?;
    let answer = Draft { body: "It takes a 16x25x1 filter. Change it every three months, or monthly while the dog sheds.".into(), ..Default::default() };
    state.conversations.reply(&tenant, &thread, me, answer).await?;

    // And asked for service at the cabin, which waits for the office.
    let days = [(5, "morning"), (6, "afternoon")].map(|(ahead, part)| PreferredVisit {
        day: (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * ahead)).to_zoned(jiff::tz::TimeZone::get(TIMEZONE).expect("a known zone")).date().to_string(),
        part: part.to_string(),
    });
    let form = RequestForm {
        description: "The outdoor faucet on the lake side drips constantly, even when closed tight.",
        property_id: Some(&cabin),
        address: ["", "", "", ""],
        preferred: &days,
        attached: Vec::new(),
    };
    state.requests.submit(&tenant, &viewer, "requests", form).await?;
    business.set_contact_password(CUSTOMER_EMAIL, &portico_core::passwords::hash(&customer_password)?).await?;
    Ok(ServiceSecrets { staff_email, staff_password, customer_password })
}

/// A visit of Luis's at `property` for Jordan, with its service when priced.
async fn job(state: &AppState, tenant: &Tenant, property: &str, reference: &str, visit: i64, service: Option<(&str, i64)>, client: &str) -> anyhow::Result<JobId> {
    let business = state.db.tenant(&tenant.id);
    let job = business.create_job(property, reference).await?;
    business.add_appointment(&job, visit, visit + 2 * 3600, "Luis Ortega").await?;
    if let Some((name, price)) = service {
        business.add_service(&job, name, price).await?;
    }
    business.add_job_contact(&job, client, Role::Client, &hash_token(&new_token()), None).await?;
    Ok(job)
}

/// `hour`:00 on the day of `at`, in the business's time zone.
fn day_at(at: i64, hour: i8) -> anyhow::Result<i64> {
    let zone = jiff::tz::TimeZone::get(TIMEZONE)?;
    let day = jiff::Timestamp::from_second(at)?.to_zoned(zone.clone()).date();
    Ok(day.at(hour, 0, 0, 0).to_zoned(zone)?.timestamp().as_second())
}

/// The technician started and finished the job.
async fn finish(state: &AppState, tenant: &Tenant, job: &JobId) -> anyhow::Result<()> {
    let business = state.db.tenant(&tenant.id);
    let started = business.record_job_step(job, None, JobStage::Started, "Luis Ortega").await?.map(|step| step.id);
    business.record_job_step(job, started.as_deref(), JobStage::Finished, "Luis Ortega").await?;
    Ok(())
}
