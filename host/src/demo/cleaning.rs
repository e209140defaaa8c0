//! The demo's cleaning company (seed 004): its customers sign in with a code
//! e-mailed to them. A property manager, Riley Chen, has three properties
//! cleaned every month: twelve months of jobs, each with its checklists
//! ticked and before and after photos taken by the crew through the
//! checklists section; paid invoices, last month's grouped in a batch ready
//! to pay, a payment Riley reported awaiting the office's approval, and one
//! invoice written off as bad debt.

use super::StaffLogin;
use anyhow::Context as _;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use portico_core::ids::JobId;
use portico_core::model::{Role, StaffRole, Tenant};
use portico_core::money::{CardFee, InvoiceStatus, PaymentMethod, PaymentProvider};
use portico_core::stages::JobStage;
use portico_core::tokens::{hash_token, new_token};
use portico_data::{AccessSettings, Actor, NewInvoice, NewPropertyNote, NewTenant, PersonKind, StaffUser};
use portico_sections::bindings::cards::Block;
use portico_sections::{Audience, Invocation, Returned, StaffMember, Surface};
use portico_services::payments::batches::BatchRequest;
use portico_services::payments::{ManualPayment, PaidElsewhere};
use portico_web::app::AppState;
use serde::{Deserialize, Serialize};

/// The cleaning company's slug, in its sign-in page's address.
pub const SLUG: &str = "sparkle";
/// The property manager who signs in with a code.
pub const CUSTOMER_EMAIL: &str = "riley.chen@harborview.example";
const TIMEZONE: &str = "America/New_York";

const CHECKLISTS: &str = "Kitchen: Counters and backsplash wiped; Appliances cleaned outside; Sink scrubbed; Floor mopped\n\
Bathrooms: Toilet cleaned; Shower and tub scrubbed; Mirrors polished; Towels replaced\n\
Living areas: Surfaces dusted; Floors vacuumed; Bins emptied";

/// What is remembered between runs.
#[derive(Serialize, Deserialize)]
pub struct CleaningSecrets {
    pub staff_email: String,
    pub staff_password: String,
}

/// The cleaning company's ways in, in the shape `--links-json` writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CleaningLinks {
    /// Where customers ask for a sign-in code.
    pub signin: String,
    /// The customer who signs in there (the code goes to the demo's outbox).
    pub customer_email: String,
    pub staff: StaffLogin,
}

pub fn links(base: &str, secrets: &CleaningSecrets) -> CleaningLinks {
    CleaningLinks {
        signin: format!("{base}/t/{SLUG}/signin"),
        customer_email: CUSTOMER_EMAIL.into(),
        staff: StaffLogin { url: format!("{base}/staff/login"), email: secrets.staff_email.clone(), password: secrets.staff_password.clone() },
    }
}

/// A place Riley's company manages, as the office describes it.
struct Place {
    name: &'static str,
    kind: &'static str,
    line1: &'static str,
    city: &'static str,
    postal_code: &'static str,
    about: &'static str,
    access: &'static str,
    internal: &'static str,
    price: i64,
}

const PLACES: [Place; 3] = [
    Place {
        name: "Harborview Apartments, unit 2B",
        kind: "rental",
        line1: "410 Harbor Street, Unit 2B",
        city: "Portland",
        postal_code: "04101",
        about: "Two-bedroom apartment, cleaned between tenants and every month.",
        access: "Lockbox on the stair railing, code 2468. Return the key to it.",
        internal: "Building manager Sam: (555) 010-9911, for the parking pass.",
        price: 14_000,
    },
    Place {
        name: "Lakeside Cottage",
        kind: "rental",
        line1: "18 Shore Road",
        city: "Cape Elizabeth",
        postal_code: "04107",
        about: "Holiday rental: fresh linens are in the hall closet.",
        access: "Key under the blue planter by the back door; alarm code 1357#.",
        internal: "Guests sometimes stay late on Sundays: call before going in.",
        price: 18_000,
    },
    Place {
        name: "Maple Street Office",
        kind: "business",
        line1: "92 Maple Street",
        city: "Portland",
        postal_code: "04102",
        about: "Ground-floor office of the management company, with a kitchenette.",
        access: "Side door; the front desk lets you in before 5 pm.",
        internal: "",
        price: 22_000,
    },
];

pub async fn seed(state: &AppState) -> anyhow::Result<CleaningSecrets> {
    let db = &state.db;
    if let Some(made) = db.tenant_by_slug(SLUG).await? {
        // A first start stopped before demo.json recorded the company (the
        // password is only kept as a hash): keep what was made, and give
        // its owner a new password rather than fail every start after.
        tracing::warn!("the demo's cleaning company was made before but not recorded; its owner gets a new password");
        let owner = db.tenant(&made.id).staff_users().await?.into_iter().find(|user| user.role == StaffRole::Owner).context("the cleaning company's owner")?;
        let staff_password = new_token()[..16].to_string();
        db.tenant(&made.id).set_staff_password(&owner.id, &portico_core::passwords::hash(&staff_password)?).await?;
        return Ok(CleaningSecrets { staff_email: owner.email, staff_password });
    }
    let tenant = db
        .create_tenant(&NewTenant {
            slug: SLUG,
            name: "Sparkle & Shine Cleaning",
            timezone: TIMEZONE,
            welcome_text: "Your cleanings, photos, invoices and payments, for every property, in one place.",
            support_email: Some("office@sparkle-cleaning.example"),
            support_phone: Some("(555) 010-8800"),
        })
        .await?;
    let business = db.tenant(&tenant.id);
    business.set_access_settings(&AccessSettings { link_lifetime_days: None, signin_method: "code", client_passwords: false }).await?;
    let staff_email = "owner@sparkle-cleaning.example".to_string();
    let staff_password = new_token()[..16].to_string();
    business.create_staff_user(&staff_email, "Jordan Blake", StaffRole::Owner, &portico_core::passwords::hash(&staff_password)?).await?;
    // The crew member who does the cleanings; she signs in once the owner invites her.
    business.create_staff_user("ana@sparkle-cleaning.example", "Ana Souza", StaffRole::Employee, &portico_core::passwords::hash(&new_token())?).await?;
    business.set_payment_provider(PaymentProvider::Test, None).await?;
    business.set_card_fee(CardFee { basis_points: 290, fixed_minor: 30 }).await?;
    state.sections.install_builtins_for(&tenant.id).await?;
    business.set_plugin_settings("checklists", &serde_json::json!({ "checklists": CHECKLISTS }).to_string()).await?;
    let tenant = business.business().await?.context("the cleaning company was just made")?;
    let staff = business.staff_users().await?;
    let owner = staff.iter().find(|user| user.role == StaffRole::Owner).context("the owner")?.clone();
    let crew = staff.iter().find(|user| user.role == StaffRole::Employee).context("the crew member")?.clone();
    let office = Actor::staff(&owner.id, &owner.display_name);

    let riley = business.create_contact("Riley Chen", Some(CUSTOMER_EMAIL), Some("(555) 010-4321")).await?;
    let mut properties = Vec::new();
    for place in &PLACES {
        let property = business.create_property(place.line1, place.city, "ME", place.postal_code).await?;
        business.set_property_profile(&property, Some(place.name), place.kind).await?;
        for (body, access, for_clients) in [(place.about, false, true), (place.access, true, true), (place.internal, false, false)] {
            if !body.is_empty() {
                business.add_property_note(&NewPropertyNote { property_id: &property, access, body, for_clients, by_name: &owner.display_name }).await?;
            }
        }
        properties.push(property);
    }

    let zone = TimeZone::get(TIMEZONE)?;
    let today = jiff::Timestamp::now().to_zoned(zone.clone()).date();
    let this_month = today.first_of_month();
    let mut number = 4100;
    // Each month's invoices with when each was issued, oldest month first.
    let mut months: Vec<Vec<(JobId, String, i64)>> = Vec::new();
    for months_ago in (1..=11).rev() {
        let month = this_month.checked_sub(jiff::Span::new().months(months_ago))?;
        let mut invoices = Vec::new();
        for (index, (place, property)) in PLACES.iter().zip(&properties).enumerate() {
            number += 1;
            let visit = at(&zone, month.checked_add(jiff::Span::new().days(4 + 8 * index as i64))?, 9)?;
            let job = job(state, &tenant, property, &format!("CLN-{number}"), visit, place, &riley, &crew).await?;
            let started = business.record_job_step(&job, None, JobStage::Started, &crew.display_name).await?.map(|step| step.id);
            business.record_job_step(&job, started.as_deref(), JobStage::Finished, &crew.display_name).await?;
            crew_works(state, &tenant, &job, &crew).await?;
            let lines = [("service", "Standard clean", 1, place.price)];
            let due = visit + 14 * 24 * 3600;
            let invoice = business.create_invoice(&job, &NewInvoice { number: &number.to_string(), status: InvoiceStatus::Due, tax_minor: 0, due_at: Some(due), lines: &lines }).await?;
            business.set_invoice_issued_at(&invoice, visit + 8 * 3600).await?;
            invoices.push((job, invoice, visit + 8 * 3600));
        }
        months.push(invoices);
    }
    // This month's cleanings are still to come.
    for (index, (place, property)) in PLACES.iter().zip(&properties).enumerate() {
        number += 1;
        let visit = at(&zone, today.checked_add(jiff::Span::new().days(3 + 2 * index as i64))?, 9)?;
        job(state, &tenant, property, &format!("CLN-{number}"), visit, place, &riley, &crew).await?;
    }

    // Paid by bank transfer, month after month, until two months ago.
    let bad_debt = (5, 2); // six months ago (the sixth of eleven past months), the office.
    let reported = (9, 1); // two months ago, the cottage.
    for (month, invoices) in months.iter().enumerate().take(10) {
        for (index, (job, invoice, issued_at)) in invoices.iter().enumerate() {
            if (month, index) == bad_debt || (month, index) == reported {
                continue;
            }
            let manual = ManualPayment { invoice_id: invoice, method: PaymentMethod::Ach, amount_minor: PLACES[index].price, reference: Some("ACH from Harborview Management"), note: None };
            let payment = state.payments.record_manual(&tenant, job, &manual, office).await?;
            state.payments.decide_manual(&tenant, job, &payment, true, office).await?;
            // Received a week after the invoice, as the transactions list should read.
            business.set_payment_at(&payment, issued_at + 7 * 24 * 3600).await?;
        }
    }
    let (job, invoice, _) = &months[bad_debt.0][bad_debt.1];
    state.payments.write_off(&tenant, job, invoice, "The tenant of the office left owing it; sent to collections.", office).await?;
    // Riley says the cottage's cleaning of two months ago was paid by Zelle.
    let (job, invoice, _) = &months[reported.0][reported.1];
    let riley_actor = Actor::contact(&riley, "Riley Chen");
    let report = PaidElsewhere { invoice_ids: std::slice::from_ref(invoice), method: PaymentMethod::Zelle, reference: "Zelle 88213" };
    state.payments.report_paid_elsewhere(&tenant, std::slice::from_ref(job), &report, riley_actor).await?;
    // Last month's three cleanings, in one batch to pay at once.
    let last_month: Vec<String> = months[10].iter().map(|(_, invoice, _)| invoice.clone()).collect();
    let title = this_month.checked_sub(jiff::Span::new().months(1))?.strftime("Cleanings of %B %Y").to_string();
    state.payments.create_batch(&tenant, &BatchRequest { contact_id: &riley, title: &title, invoice_ids: &last_month }, office).await?;

    Ok(CleaningSecrets { staff_email, staff_password })
}

/// 09:00 (or `hour`) on `day` in the business's time zone, Unix seconds.
fn at(zone: &TimeZone, day: Date, hour: i8) -> anyhow::Result<i64> {
    Ok(day.at(hour, 0, 0, 0).to_zoned(zone.clone())?.timestamp().as_second())
}

/// A monthly cleaning of `place` at `visit`, for Riley, with the crew on it.
#[allow(clippy::too_many_arguments)]
async fn job(state: &AppState, tenant: &Tenant, property: &str, reference: &str, visit: i64, place: &Place, riley: &str, crew: &StaffUser) -> anyhow::Result<JobId> {
    let business = state.db.tenant(&tenant.id);
    let job = business.create_job(property, reference).await?;
    business.add_appointment(&job, visit, visit + 3 * 3600, &crew.display_name).await?;
    business.add_service(&job, "Standard clean", place.price).await?;
    business.assign_crew(&job, &crew.id).await?;
    business.add_job_contact(&job, riley, Role::Client, &hash_token(&new_token()), None).await?;
    Ok(job)
}

/// The crew member, on the console's job page, ticks every checklist and
/// adds a photo before and after the work, through the checklists section
/// as a phone would.
async fn crew_works(state: &AppState, tenant: &Tenant, job: &JobId, crew: &StaffUser) -> anyhow::Result<()> {
    let sections = &state.sections;
    let section = sections.active(&tenant.id).await?.into_iter().find(|s| s.plugin.id() == "checklists").context("the checklists section")?;
    let member = StaffMember { user_id: crew.id.clone(), role: crew.role };
    let audience = Audience::staff(tenant.id.clone(), Surface::StaffJobPage, Some(job.clone()), member, &crew.display_name, Default::default());
    let act = |card: &str, action: &str, input: Vec<(String, String)>| {
        let ctx = sections.context(&section, &audience, tenant);
        sections.call(&section, &audience, Invocation::Action { ctx, card: card.into(), action: action.into(), input })
    };
    let Ok(Returned::Cards(cards)) = sections.call(&section, &audience, Invocation::Render(sections.context(&section, &audience, tenant))).await else {
        anyhow::bail!("the checklists section did not render");
    };
    // The checklists form as the crew member sends it with every box ticked.
    let form: Vec<(String, String)> = cards
        .iter()
        .filter(|card| card.id == "crew-checklists")
        .flat_map(|card| &card.blocks)
        .filter_map(|block| match block {
            Block::Input(field) if field.name.starts_with("tick-") => Some((field.name.clone(), "on".to_string())),
            Block::Input(field) if field.name.starts_with("was-") => Some((field.name.clone(), field.value.clone().unwrap_or_default())),
            _ => None,
        })
        .collect();
    expect_success(act("crew-checklists", "save", form).await)?;
    for (moment, caption, tone) in [("before", "Kitchen before the clean", 0.55), ("after", "Kitchen after the clean", 1.0)] {
        let file = store_photo(state, tenant, job, crew, &format!("{moment}.jpg"), tone).await?;
        let input = vec![("photos".to_string(), file), ("moment".to_string(), moment.to_string()), ("caption".to_string(), caption.to_string())];
        expect_success(act("crew-photos", "add-photos", input).await)?;
    }
    Ok(())
}

fn expect_success(returned: Result<Returned, portico_sections::CallFailure>) -> anyhow::Result<()> {
    match returned {
        Ok(Returned::Action(Ok(_))) => Ok(()),
        Ok(Returned::Action(Err(refused))) => anyhow::bail!("the checklists section refused the crew: {refused:?}"),
        Ok(_) => anyhow::bail!("the checklists section answered something else"),
        Err(failure) => anyhow::bail!("the checklists section failed: {failure}"),
    }
}

/// A photo of a kitchen counter, duller before the clean, kept as the crew
/// member's upload on the job for the checklists section; returns its id.
async fn store_photo(state: &AppState, tenant: &Tenant, job: &JobId, crew: &StaffUser, name: &str, brightness: f32) -> anyhow::Result<String> {
    use image::ImageEncoder;
    let (width, height) = (320u32, 240u32);
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            // A counter (light) under a tiled wall (blue-grey), with a shine where it is clean.
            let base: [f32; 3] = if y > height * 3 / 5 { [222.0, 214.0, 198.0] } else if (x / 40 + y / 40) % 2 == 0 { [150.0, 170.0, 190.0] } else { [170.0, 188.0, 205.0] };
            let shine = if brightness > 0.9 && x.abs_diff(width / 2) < 60 && y.abs_diff(height * 4 / 5) < 12 { 30.0 } else { 0.0 };
            pixels.extend(base.map(|channel| (channel * brightness + shine).min(255.0) as u8));
        }
    }
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80).write_image(&pixels, width, height, image::ExtendedColorType::Rgb8)?;
    let rules = portico_services::uploads::FileRules { types: vec![portico_services::uploads::FileType::Photo], max_bytes: 15 * 1024 * 1024, multiple: true };
    let prepared = portico_services::uploads::prepare(name, &jpeg, &rules).map_err(|refused| anyhow::anyhow!("the demo photo was refused: {refused:?}"))?;
    let uploader = portico_services::uploads::Uploader { kind: PersonKind::Staff, id: &crew.id, name: &crew.display_name };
    let upload = portico_services::uploads::store(&state.db, &state.files, &tenant.id, "checklists", Some(job), &uploader, &prepared).await?;
    Ok(upload.id)
}
